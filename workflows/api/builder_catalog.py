"""What the builder's side panel offers: block types, usable connectors, expression checks with a
preview, and sample payloads. Each answers from the server's own registry and compiler, so the
canvas never disagrees with what publishing will accept."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.access import CONNECTORS
from connectors.registry import all_types as connector_types
from workflows.access import WORKFLOWS
from workflows.api import builder_palette
from workflows.api import builder_serializers as s
from workflows.api.intake_parser import IntakeJSONParser
from workflows.engine.errors import ExpressionError
from workflows.engine.expressions import Template, compile_expression, evaluate_value, to_json
from workflows.models import Run

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "demo" / "samples"
PAST_RUNS = 10
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)


class BlockTypesView(APIView):
    @extend_schema(responses={200: s.PaletteGroupSerializer(many=True)}, summary="The palette")
    def get(self, request: Request) -> Response:
        return Response(builder_palette.palette())


class BlockOutcomesView(APIView):
    parser_classes = [IntakeJSONParser]

    @extend_schema(
        request=s.OutcomesRequestSerializer,
        responses={200: s.OutcomesResponseSerializer},
        summary="The handles of a block with this config (a switch's cases, an approval's)",
    )
    def post(self, request: Request) -> Response:
        body = s.OutcomesRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        block_type = builder_palette.find(data["kind"], data["type"])
        if block_type is None:
            return Response({"detail": f"unknown block type {data['kind']}/{data['type']}"}, 400)
        return Response(builder_palette.outcomes(block_type, data["config"]))


class ConnectorsView(APIView):
    @extend_schema(
        parameters=[s.ConnectorQuerySerializer],
        responses={200: s.ConnectorChoiceSerializer(many=True)},
        summary="Connectors the user may use, that support the operation",
    )
    def get(self, request: Request) -> Response:
        query = s.ConnectorQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted_type = query.validated_data.get("type")
        operation = query.validated_data.get("operation")
        types = connector_types()
        rows = CONNECTORS.visible(request.user, "use").order_by("name")
        if wanted_type:
            rows = rows.filter(type=wanted_type)
        answer = []
        for row in rows:
            cls = types.get(row.type)
            operations = sorted(cls.operations) if cls is not None else []
            if operation and operation not in operations:
                continue
            answer.append(
                {
                    "name": row.name,
                    "type": row.type,
                    "description": row.description,
                    "operations": operations,
                    "enabled": row.enabled,
                    "health": row.health_status,
                }
            )
        return Response(answer)


def _compile(source: str, mode: str) -> Any:
    """Compile like the engine does; a position is reported in the field's own text."""
    if mode == "expression":
        return compile_expression(source)
    if source.startswith("="):
        try:
            return compile_expression(source[1:])
        except ExpressionError as exc:
            raise _shifted(exc, 1) from None
    parts: list[Any] = []
    last = 0
    for match in _TEMPLATE.finditer(source):
        inner = match.group(1)
        parts.append(source[last : match.start()])
        try:
            parts.append(compile_expression(inner.strip()))
        except ExpressionError as exc:
            raise _shifted(exc, match.start(1) + len(inner) - len(inner.lstrip())) from None
        last = match.end()
    if not parts:
        return source
    parts.append(source[last:])
    return Template(tuple(p for p in parts if p != ""))


def _shifted(exc: ExpressionError, offset: int) -> ExpressionError:
    position = exc.position + offset if exc.position else None
    return ExpressionError(exc.detail, source=exc.source, position=position)


class ExpressionCheckView(APIView):
    parser_classes = [IntakeJSONParser]

    @extend_schema(
        request=s.ExpressionCheckSerializer,
        responses={200: s.ExpressionResultSerializer},
        summary="Compile with the server's CEL compiler; preview against a sample's `event`",
    )
    def post(self, request: Request) -> Response:
        body = s.ExpressionCheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        answer: dict[str, Any] = {
            "ok": True,
            "error": None,
            "position": None,
            "preview": None,
            "preview_error": None,
        }
        try:
            compiled = _compile(data["source"], data["mode"])
        except ExpressionError as exc:
            return Response({**answer, "ok": False, "error": exc.detail, "position": exc.position})
        if "sample" in data:
            variables = {"event": data["sample"], "payload": data["sample"]}
            try:
                answer["preview"] = to_json(evaluate_value(compiled, variables))
            except ExpressionError as exc:
                answer["preview_error"] = str(exc)
        return Response(answer)


@lru_cache(maxsize=1)
def demo_samples() -> tuple[dict[str, Any], ...]:
    return tuple(
        {
            "id": f"sample:{path.stem}",
            "label": path.stem.replace("-", " "),
            "payload": json.loads(path.read_text()),
        }
        for path in sorted(SAMPLES_DIR.glob("*.json"))
    )


class SamplesView(APIView):
    @extend_schema(
        parameters=[s.SampleQuerySerializer],
        responses={200: s.SampleSerializer(many=True)},
        summary="Sample payloads, and the inputs of a workflow's recent runs",
    )
    def get(self, request: Request) -> Response:
        query = s.SampleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        answer = list(demo_samples())
        workflow_id = query.validated_data.get("workflow")
        if workflow_id is not None:
            workflow = WORKFLOWS.visible(request.user).filter(pk=workflow_id).first()
            runs = (
                Run.objects.filter(workflow=workflow).order_by("-pk")[:PAST_RUNS]
                if workflow is not None
                else []
            )
            answer += [
                {
                    "id": f"run:{run.pk}",
                    "label": f"run {run.pk} ({run.created_at:%Y-%m-%d %H:%M}"
                    f"{', dry run' if run.dry_run else ''})",
                    "payload": run.input,
                }
                for run in runs
            ]
        return Response(answer)
