// The catalog as the Listings screen reads it: one page of GET /v1/listings, and every SKU in a
// filter (paged through, for the bulk actions the API takes as SKUs).
import { api, ok, type Schemas } from "./client";

export interface ListingFilter {
  sku_prefix?: string;
  title?: string;
  status?: string;
  created_by?: string;
  quantity_min?: string;
  quantity_max?: string;
  auto_sync?: string;
  channel?: string;
  link_state?: string;
}

export const FILTER_KEYS: (keyof ListingFilter)[] = [
  "sku_prefix",
  "title",
  "status",
  "created_by",
  "quantity_min",
  "quantity_max",
  "auto_sync",
  "channel",
  "link_state",
];

export type ListingPage = Schemas["ListingPage"];
export type ListingRow = Schemas["ListingRow"];

export function filterOf(query: URLSearchParams): ListingFilter {
  const filter: ListingFilter = {};
  for (const key of FILTER_KEYS) {
    const value = query.get(key);
    if (value) filter[key] = value;
  }
  return filter;
}

export async function listingPage(filter: ListingFilter, cursor?: string | null, limit = 50): Promise<ListingPage> {
  const { quantity_min, quantity_max, auto_sync, status, created_by, link_state, ...text } = filter;
  const query = {
    ...text,
    limit,
    ...(cursor ? { cursor } : {}),
    ...(quantity_min ? { quantity_min: Number(quantity_min) } : {}),
    ...(quantity_max ? { quantity_max: Number(quantity_max) } : {}),
    ...(auto_sync ? { auto_sync: auto_sync === "true" } : {}),
    ...(status ? { status: status as Schemas["ListingStatus"] } : {}),
    ...(created_by ? { created_by: created_by as Schemas["CreatedBy"] } : {}),
    ...(link_state ? { link_state: link_state as Schemas["LinkState"] } : {}),
  };
  return ok<ListingPage>(api.GET("/v1/listings", { params: { query } }));
}

/** Every SKU in the filter, a page of 200 at a time; `progress` after each page. */
export async function everySku(filter: ListingFilter, progress: (n: number) => void): Promise<string[]> {
  const skus: string[] = [];
  let cursor: string | null = null;
  do {
    const page: ListingPage = await listingPage(filter, cursor, 200);
    skus.push(...page.listings.map((l) => l.sku));
    progress(skus.length);
    cursor = page.next_cursor;
  } while (cursor);
  return skus;
}

/** The filter in the auto-sync route's own terms, when it can say it (no balance, auto sync or link state). */
export function asFlagFilters(filter: ListingFilter): string[] | null {
  const { sku_prefix, title, status, created_by, ...rest } = filter;
  if (Object.values(rest).some(Boolean)) return null;
  const forms: string[] = [];
  if (status) forms.push(`status=${status}`);
  if (sku_prefix) forms.push(`sku-prefix=${sku_prefix}`);
  if (title) forms.push(`title=${title}`);
  if (created_by) forms.push(`created-by=${created_by.replace(/_/g, "-")}`);
  return forms.length ? forms : null; // no filter: the route wants one, so the SKUs are sent
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
