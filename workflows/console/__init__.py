"""Read-side pieces of the console: the server-drawn graph, the review queue's failure groups,
the dashboard's figures. Reads only; writes stay in workflows.services."""
