/**
 * Imported first by run.ts, before anything that loads graphql, express or the ORM: graphql-js and
 * express read NODE_ENV when their modules are evaluated, and TypeGraphQL needs reflect-metadata.
 */
import 'reflect-metadata';

process.env.NODE_ENV = 'production';
// Production refuses to start without a secret; the benchmark signs its own token with it.
process.env.JWT_SECRET ??= 'docket-bench-secret-docket-bench-secret-0123456789';
process.env.LOG_LEVEL = 'silent';
// One user drives the whole load: rate limits stay on (their cost is measured) but never trip.
process.env.RATE_LIMIT_USER_PER_MINUTE ??= '1000000000';
process.env.RATE_LIMIT_KEY_PER_MINUTE ??= '1000000000';
