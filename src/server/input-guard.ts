import {
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  GraphQLError,
  isInputObjectType,
  isListType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { InvalidInputError, type FieldProblem } from '../shared/errors.js';
import type { RequestContext } from './context.js';
import { toUserErrors } from './user-errors.js';

/**
 * Client input, checked in one place before any resolver sees it (docs/ACCESS.md, "Input"): every
 * argument of every field of the schema (roots and nested fields alike, input objects and lists
 * included) is walked once, and
 * - every string (and every key of a JSON object) must be valid Unicode without NUL: PostgreSQL
 *   refuses U+0000 in text and JSON, and an unpaired UTF-16 surrogate would be stored as U+FFFD;
 * - every page size (an Int argument named `first`, `last` or `limit`) is 0 to MAX_PAGE_SIZE;
 * - a full-text search (`search`) is at most MAX_SEARCH_LENGTH characters (a longer one makes
 *   PostgreSQL's query parser run out of stack).
 * A problem is an INVALID_INPUT naming the field by its path (`input.subject`, `filter.search`): in a
 * mutation's payload `errors`, else as a GraphQL error; nothing runs, so nothing is written.
 */
export const MAX_PAGE_SIZE = 100;
/** Characters of a `search` argument or input field. */
export const MAX_SEARCH_LENGTH = 200;

const PAGE_ARGUMENTS = new Set(['first', 'last', 'limit']);

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored or searched, or undefined when it can. */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL character (U+0000), which cannot be stored';
  if (UNPAIRED_SURROGATE.test(value)) return 'contains an unpaired surrogate: it is not valid Unicode';
  return undefined;
}

/** Refuses a string that {@link textProblem} finds fault with, naming `field`. */
export function assertSafeText(value: string, field: string): string {
  const problem = textProblem(value);
  if (problem) throw InvalidInputError.field(field, problem);
  return value;
}

/**
 * The problems of one field's arguments (already coerced by GraphQL), walked without recursion: the
 * value of a JSON scalar can nest as deep as the request allows.
 */
export function argumentProblems(
  args: readonly GraphQLArgument[],
  values: Record<string, unknown>,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const arg of args) {
    const value = values[arg.name];
    if (value === undefined || value === null) continue;
    if (
      PAGE_ARGUMENTS.has(arg.name) &&
      getNamedType(arg.type).name === 'Int' &&
      typeof value === 'number' &&
      (value < 0 || value > MAX_PAGE_SIZE)
    )
      problems.push({ field: arg.name, message: `must be between 0 and ${MAX_PAGE_SIZE}` });
    const stack: [unknown, string, GraphQLInputType | undefined][] = [[value, arg.name, arg.type]];
    while (stack.length) {
      const [v, path, type] = stack.pop()!;
      if (typeof v === 'string') {
        const problem = textProblem(v);
        if (problem) problems.push({ field: path, message: problem });
        else if (/(^|\.)search$/.test(path) && v.length > MAX_SEARCH_LENGTH)
          problems.push({ field: path, message: `is longer than ${MAX_SEARCH_LENGTH} characters` });
      } else if (Array.isArray(v)) {
        const nullable = type && getNullableType(type);
        const item = nullable && isListType(nullable) ? (nullable.ofType as GraphQLInputType) : undefined;
        v.forEach((x, i) => stack.push([x, `${path}[${i}]`, item]));
      } else if (v && typeof v === 'object' && !(v instanceof Date)) {
        const named = type && getNamedType(type);
        const fields = named && isInputObjectType(named) ? named.getFields() : undefined;
        for (const [key, x] of Object.entries(v)) {
          const keyProblem = textProblem(key);
          if (keyProblem) problems.push({ field: `${path} (a key)`, message: keyProblem });
          stack.push([x, `${path}.${key}`, fields?.[key]?.type]);
        }
      }
    }
  }
  return problems;
}

/**
 * Wraps every field that takes arguments (on every object type of the schema) so that
 * {@link argumentProblems} is asked first. Root mutations answer in their payload's `errors`, like
 * any refused change; other fields (and subscriptions) with a GraphQL error carrying INVALID_INPUT.
 */
export function guardInputs(schema: GraphQLSchema): void {
  const mutationType = schema.getMutationType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, RequestContext>[]) {
      if (!field.args.length) continue;
      const payloadErrors =
        type === mutationType &&
        isObjectType(getNullableType(field.type)) &&
        'errors' in (getNullableType(field.type) as { getFields(): object }).getFields();
      const refused = (args: Record<string, unknown>) => {
        const problems = argumentProblems(field.args, args);
        if (!problems.length) return undefined;
        const err = new InvalidInputError(problems);
        if (payloadErrors) return { errors: toUserErrors(err) };
        throw new GraphQLError(err.message, {
          extensions: { code: err.code, fields: problems.map((p) => p.field) },
        });
      };
      if (field.subscribe) {
        const subscribe = field.subscribe;
        field.subscribe = (source, args, ctx, info) => {
          refused(args);
          return subscribe(source, args, ctx, info);
        };
      } else {
        const resolve = field.resolve ?? defaultFieldResolver;
        field.resolve = (source, args, ctx, info) => refused(args) ?? resolve(source, args, ctx, info);
      }
    }
  }
}
