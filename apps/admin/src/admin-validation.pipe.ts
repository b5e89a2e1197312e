import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { GatewayError } from '@app/common';

export interface FieldProblem {
  /** Dotted path of the field (`budget.max_usd`, `allowed_models[2]`). */
  path: string;
  message: string;
}

const WHITELIST_CONSTRAINT = 'whitelistValidation';

function childPath(parent: string, property: string): string {
  if (!parent) return property;
  return /^\d+$/.test(property) ? `${parent}[${property}]` : `${parent}.${property}`;
}

/**
 * class-validator words its messages with the bare property name (`max_usd must be ...`);
 * users need the full path to find the field in a nested body.
 */
function qualify(message: string, property: string, path: string): string {
  if (path === property) return message;
  if (message.startsWith(`${property} `)) return path + message.slice(property.length);
  if (message.startsWith(`each value in ${property} `)) return `each value in ${path}${message.slice(`each value in ${property}`.length)}`;
  return message;
}

/** Walks class-validator's error tree depth-first, in the order of the DTO's fields. */
export function flattenValidationErrors(errors: readonly ValidationError[], parent = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const path = childPath(parent, error.property);
    const seen = new Set<string>();
    for (const [constraint, raw] of Object.entries(error.constraints ?? {})) {
      const message = constraint === WHITELIST_CONSTRAINT ? `${path} is not a known field` : qualify(raw, error.property, path);
      // Several constraints of one field often say the same thing (type and range share a message).
      if (seen.has(message)) continue;
      seen.add(message);
      problems.push({ path, message });
    }
    problems.push(...flattenValidationErrors(error.children ?? [], path));
  }
  return problems;
}

/** Turns ValidationPipe's errors into the admin's one error shape, naming the first field at fault. */
export function validationExceptionFactory(errors: ValidationError[]): GatewayError {
  // Nest reports a body that is not an object (e.g. a JSON array) as a stand-in "body" property.
  if (errors.length === 1 && !errors[0].children?.length && errors[0].constraints?.isObject && ['body', 'query', 'param'].includes(errors[0].property)) {
    return GatewayError.invalidRequest(`The request ${errors[0].property} must be a JSON object`);
  }
  const problems = flattenValidationErrors(errors);
  if (problems.length === 0) return GatewayError.invalidRequest('The request is invalid');
  return GatewayError.invalidRequest(problems.map((p) => p.message).join('; '), problems[0].path);
}

/** Registered as APP_PIPE so that apps built in tests validate exactly like production. */
export function createAdminValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // Not stopAtFirstError: it would report whichever constraint sits lowest in the DTO, not the
    // most telling one. The DTOs give a field's constraints one message instead (see virtual-key.dto.ts).
    exceptionFactory: validationExceptionFactory,
  });
}
