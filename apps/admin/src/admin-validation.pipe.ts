import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { DEFAULT_REQUEST_LIMITS, findNulString, GatewayError } from '@app/common';

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

/** The depth of objects and arrays in a parsed value, walked without recursion; stops past `max`. */
function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * ValidationPipe behind two checks it cannot make itself: nesting (class-transformer and
 * class-validator walk a value recursively, so a body nested thousands deep would overflow the
 * stack as a 500) and U+0000 in any string (Postgres text cannot hold it: a 500 at insert).
 */
class AdminValidationPipe extends ValidationPipe {
  constructor(private readonly maxDepth: number) {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // Not stopAtFirstError: it would report whichever constraint sits lowest in the DTO, not the
      // most telling one. The DTOs give a field's constraints one message instead (see virtual-key.dto.ts).
      exceptionFactory: validationExceptionFactory,
    });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      if (depthExceeds(value, this.maxDepth)) {
        throw GatewayError.invalidRequest(`The request ${metadata.type} nests objects and arrays deeper than the limit of ${this.maxDepth} levels`);
      }
      const at = findNulString(value);
      if (at !== null) throw GatewayError.invalidRequest(`${at || metadata.type} must not contain the NUL character (U+0000)`, at || null);
    }
    return super.transform(value, metadata);
  }
}

/** Registered as APP_PIPE so that apps built in tests validate exactly like production. */
export function createAdminValidationPipe(maxDepth: number = DEFAULT_REQUEST_LIMITS.maxJsonDepth): ValidationPipe {
  return new AdminValidationPipe(maxDepth);
}
