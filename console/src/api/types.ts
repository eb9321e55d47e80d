// What the console API answers. Its OpenAPI document types the requests (schema.d.ts); most answers are
// documented as objects, so their shapes are written here once, after the API's pydantic models
// (shared/domain/*.py), and the screens read answers through these.
import type { Schemas } from "./client";

export type JobStatus = Schemas["JobStatus"];
export type JobKind = Schemas["JobKind"];
export type SyncMode = Schemas["SyncMode"];
export type ChannelType = Schemas["ChannelType"];
export type CreatedBy = Schemas["CreatedBy"];
export type AdjustReason = Schemas["AdjustReason"];
export type DeadLetterQueue = Schemas["DeadLetterQueue"];
export type LinkPriority = Schemas["LinkPriority"];

export interface JobCounts {
  planned: number;
  pushed: number;
  skipped: number;
  failed: number;
  conflicts: number;
  read: number;
  linked: number;
  already_linked: number;
  no_match: number;
  duplicate: number;
  empty_value: number;
  variant_gone: number;
  value_changed: number;
  checked: number;
  out_of_sync: number;
  compared: number;
  changes: number;
  unchanged: number;
  zeroed: number;
  moved: number;
  matched: number;
  flags_changed: number;
  auto_pushed: number;
}

export interface Job {
  id: string;
  channel: string;
  kind: JobKind;
  mode: SyncMode | null;
  status: JobStatus;
  priority: number;
  dry_run: boolean;
  relink: boolean;
  selected: number;
  ran_as: SyncMode | null;
  auto_sync: boolean | null;
  filters: string[];
  rerun_of: string;
  guard: "none" | "checking" | "passed" | "confirmed" | "off";
  note: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  counts: JobCounts;
  failures: { sku: string; message: string }[];
  error: string;
}

export interface Schedule {
  enabled: boolean;
  rate: string;
  mode: SyncMode;
}

export interface Channel {
  name: string;
  type: ChannelType;
  store_url: string;
  store_name: string;
  priorities: LinkPriority[];
  link_after_build: boolean;
  created_at: string;
  synced_full_at: string | null;
  schedule: Schedule | null;
}

export interface Link {
  sku: string;
  channel: string;
  status: "linked" | "unlinked";
  variant_id: string;
  product_id: string;
  inventory_item_id: string;
  location_id: string;
  channel_status: string;
  matched_field: string;
  matched_value: string;
  last_pushed_quantity: number | null;
  last_observed_quantity: number | null;
  last_observed_price: string | null;
  sync_state: "in_sync" | "out_of_sync" | "error";
  out_of_sync_reason: string;
  unlinked_reason: string;
  updated_at: string;
}

export interface Listing {
  sku: string;
  upc: string;
  mpn: string;
  title: string;
  on_hand: number;
  committed: number;
  safety_buffer: number;
  price: string | null;
  status: "active" | "inactive";
  auto_sync: boolean;
  created_by: CreatedBy;
  last_reason: AdjustReason | null;
  updated_at: string;
  syncable_balance: number;
  links?: Link[];
}

export interface HistoryEntry {
  sku: string;
  channel: string;
  at: string;
  job_id: string;
  field: string;
  from_value: string | null;
  to_value: string;
  outcome: string;
  message: string;
  rule?: string;
}

export interface Page<T> {
  next: string | null;
  items: T[];
}

export interface PlanChange {
  sku: string;
  field: string;
  from_value: string | null;
  to_value: string;
}

export interface DeadLetter {
  queue: DeadLetterQueue;
  id: string;
  what: string;
  why: string;
  receive_count: number | null;
  sent_at: string | null;
  failed_at: string | null;
  channel: string | null;
  job_id: string | null;
}

export interface DeadLetters {
  queues: { queue: DeadLetterQueue; messages: number; shown: number }[];
  messages: DeadLetter[];
}

export type AutoSyncRules = Record<CreatedBy, boolean>;
