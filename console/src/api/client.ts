// The console API, typed from its OpenAPI document (schema.d.ts, generated: `make console-types`).
// Every request carries the signed-in user's access token; a 401 refreshes it once and retries.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { accessToken, refresh, signOut } from "./auth";

export type Schemas = components["schemas"];

/** The API is at this page's origin: local mode serves both, and on AWS CloudFront sends /v1/* to it. */
export const API_BASE = location.origin;

async function authorizedFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const token = await accessToken(API_BASE);
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  const answer = await fetch(request);
  if (answer.status !== 401 || !token) return answer;
  const renewed = await refresh(API_BASE);
  if (!renewed) {
    signOut();
    return answer;
  }
  retry.headers.set("Authorization", `Bearer ${renewed.accessToken}`);
  return fetch(retry);
}

export const api = createClient<paths>({ baseUrl: API_BASE, fetch: (r) => authorizedFetch(r) });

export interface FieldProblem {
  field: string;
  message: string;
  line?: number;
}

/** A refusal of the API: its message and each field at fault, as shared/console_api.py answers. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(message);
  }

  /** The problems with this field, or with any part of it ("priorities" holds "priorities.0.channel_field"). */
  about(field: string): string[] {
    return this.errors
      .filter((e) => e.field === field || e.field.startsWith(`${field}.`))
      .map((e) => (e.line ? `line ${e.line}: ${e.message}` : e.message));
  }
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data, or an ApiError with the API's message and fields. */
export async function ok<T>(call: Promise<Answer<unknown>>): Promise<T> {
  let answer: Answer<unknown>;
  try {
    answer = await call;
  } catch (error) {
    throw new ApiError(0, `the console API did not answer (${String(error)}): is it running?`);
  }
  if (answer.response.ok) return answer.data as T;
  const body = (answer.error ?? {}) as { message?: string; errors?: FieldProblem[] };
  const message = typeof body.message === "string" ? body.message : `${answer.response.status} ${answer.response.statusText}`;
  throw new ApiError(answer.response.status, message, Array.isArray(body.errors) ? body.errors : []);
}
