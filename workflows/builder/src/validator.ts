// rjsf's validator on @cfworker/json-schema: it interprets schemas instead of compiling them
// to code (ajv uses `new Function`, which the product's CSP forbids), so the form checks a
// config against the block type's schema under script-src 'self' with no eval.
import { Validator } from "@cfworker/json-schema";
import type { Schema } from "@cfworker/json-schema";
import {
  createErrorHandler,
  toErrorList,
  toErrorSchema,
  unwrapErrorHandler,
  validationDataMerge,
} from "@rjsf/utils";
import type {
  CustomValidator,
  ErrorSchema,
  ErrorTransformer,
  RJSFSchema,
  RJSFValidationError,
  UiSchema,
  ValidationData,
  ValidatorType,
} from "@rjsf/utils";

const CONTAINERS = new Set(["properties", "items", "allOf", "$ref", "prefixItems", "additionalProperties"]);

function pointerToPath(pointer: string): string[] {
  return pointer
    .replace(/^#\/?/, "")
    .split("/")
    .filter((part) => part !== "")
    .map((part) => decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The form's data as JSON: rjsf leaves `undefined` for untouched fields, which JSON lacks. */
export const plain = (data: unknown): unknown =>
  data === undefined ? undefined : JSON.parse(JSON.stringify(data));

export function schemaErrors(schema: RJSFSchema, data: unknown): RJSFValidationError[] {
  const result = new Validator(schema as Schema, "2020-12", false).validate(plain(data) ?? {});
  return result.errors
    .filter((error) => !CONTAINERS.has(error.keyword))
    .map((error) => {
      const path = pointerToPath(error.instanceLocation);
      let message = error.error;
      if (error.keyword === "required") {
        const missing = /property "([^"]+)"/.exec(error.error)?.[1];
        if (missing) {
          path.push(missing);
          message = "is required";
        }
      }
      const property = path.length ? `.${path.join(".")}` : ".";
      return {
        name: error.keyword,
        message,
        property,
        schemaPath: error.keywordLocation,
        stack: `${property === "." ? "" : `${path.join(".")} `}${message}`.trim(),
      };
    });
}

export class CfWorkerValidator implements ValidatorType<any, RJSFSchema, any> {
  validateFormData(
    formData: any,
    schema: RJSFSchema,
    customValidate?: CustomValidator<any, RJSFSchema, any>,
    transformErrors?: ErrorTransformer<any, RJSFSchema, any>,
    uiSchema?: UiSchema<any, RJSFSchema, any>,
  ): ValidationData<any> {
    let errors = schemaErrors(schema, formData);
    if (transformErrors) errors = transformErrors(errors, uiSchema);
    const errorSchema = toErrorSchema(errors) as ErrorSchema<any>;
    if (!customValidate) return { errors, errorSchema };
    const custom = customValidate(formData, createErrorHandler(formData), uiSchema);
    return validationDataMerge({ errors, errorSchema }, unwrapErrorHandler(custom));
  }

  toErrorList(errorSchema?: ErrorSchema<any>, fieldPath?: string[]): RJSFValidationError[] {
    return toErrorList(errorSchema, fieldPath);
  }

  isValid(schema: RJSFSchema, formData: any, rootSchema: RJSFSchema): boolean {
    if (formData === undefined) return false;
    const withDefs = { ...schema, $defs: rootSchema.$defs, definitions: rootSchema.definitions };
    return new Validator(withDefs as Schema, "2020-12", true).validate(plain(formData)).valid;
  }

  rawValidation<Result = any>(schema: RJSFSchema, formData?: any): { errors?: Result[]; validationError?: Error } {
    try {
      const found = new Validator(schema as Schema, "2020-12", false).validate(plain(formData) ?? {});
      return { errors: found.errors as Result[] };
    } catch (error) {
      return { validationError: error as Error };
    }
  }
}

export const validator = new CfWorkerValidator();
