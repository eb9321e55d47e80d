import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { asFlagFilters, chunks, everySku, FILTER_KEYS, filterOf, listingPage, type ListingFilter } from "../api/listings";
import type { Channel, Job } from "../api/types";
import { count, words } from "../format";
import { go, href } from "../router";
import { ApiError } from "../api/client";
import { Action, asApiError, Field, Problem, Section, useLoad, Loading } from "../ui";
import { Import } from "./Import";

const STATES = ["linked", "unlinked", "duplicate", "out_of_sync", "error"];
const CREATED_BY = ["manual", "file_import", "order_import", "feed"];

/** The filters, in the URL; the API's refusal of one (quantity_max below quantity_min...) beside it. */
function Filters({ filter, channels, error }: { filter: ListingFilter; channels: Channel[]; error: ApiError | null }) {
  const [given, setGiven] = useState<ListingFilter>(filter);
  const set = (key: keyof ListingFilter) => (e: Event) => setGiven({ ...given, [key]: (e.currentTarget as HTMLInputElement).value });
  const apply = (e: Event) => {
    e.preventDefault();
    go(href("listings", given as Record<string, string>));
  };
  const text = (key: keyof ListingFilter, label: string, type: "text" | "number" = "text") => (
    <Field label={label} name={key} error={error}>
      {(p) =>
        type === "number" ? (
          <input {...p} type="number" min={0} value={given[key] ?? ""} onInput={set(key)} />
        ) : (
          <input {...p} type="text" value={given[key] ?? ""} onInput={set(key)} />
        )
      }
    </Field>
  );
  const choice = (key: keyof ListingFilter, label: string, options: [string, string][]) => (
    <Field label={label} name={key} error={error}>
      {(p) => (
        <select {...p} value={given[key] ?? ""} onChange={set(key)}>
          <option value="">any</option>
          {options.map(([value, shown]) => (
            <option key={value} value={value}>
              {shown}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  return (
    <form role="search" aria-label="Listing filters" class="filters" onSubmit={apply}>
      {text("sku_prefix", "SKU prefix")}
      {text("title", "Title contains")}
      {choice("status", "Status", [["active", "active"], ["inactive", "inactive"]])}
      {choice("created_by", "Created by", CREATED_BY.map((c) => [c, words(c)]))}
      {text("quantity_min", "Balance from", "number")}
      {text("quantity_max", "Balance to", "number")}
      {choice("auto_sync", "Auto sync", [["true", "on"], ["false", "off"]])}
      {choice("channel", "Channel", channels.map((c) => [c.name, c.name]))}
      {choice("link_state", "Link state on channel", STATES.map((s) => [s, words(s)]))}
      <div class="actions">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <a href="#/listings">Clear filters</a>
      </div>
    </form>
  );
}

interface BulkProps {
  filter: ListingFilter;
  selected: string[];
  channels: Channel[];
  after: () => void;
}

function Bulk({ filter, selected, channels, after }: BulkProps) {
  const [scope, setScope] = useState<"selected" | "filter">("selected");
  const [channel, setChannel] = useState("");
  const [dryRun, setDryRun] = useState(false);
  const [progress, setProgress] = useState("");
  const target = channel || channels[0]?.name || "";
  const skus = async (): Promise<string[]> => {
    if (scope === "selected") {
      if (!selected.length) throw new Error("select listings first, or choose “All in the filter”");
      return selected;
    }
    return everySku(filter, (n) => setProgress(`reading the filter: ${count(n)} listings`));
  };
  const autoSync = (on: boolean) => async () => {
    const filters = scope === "filter" ? asFlagFilters(filter) : null;
    if (filters) return ok(api.POST("/v1/listings/auto-sync", { body: { auto_sync: on, filters } }));
    const all = await skus();
    let changed = 0;
    let job: Job | null = null;
    for (const [i, part] of chunks(all, 5000).entries()) {
      setProgress(`auto sync ${on ? "on" : "off"}: ${count(i * 5000)} of ${count(all.length)}`);
      const done = await ok<{ flags_changed: number; job: Job | null }>(api.POST("/v1/listings/auto-sync", { body: { auto_sync: on, skus: part } }));
      changed += done.flags_changed;
      job = done.job ?? job;
    }
    setProgress("");
    return { flags_changed: changed, job };
  };
  const flagged = (result: unknown) => {
    const r = result as { flags_changed?: number; matched?: number; job?: Job | null };
    return r.job ? `a job turns them: ${r.job.id}` : `${count(r.flags_changed ?? 0)} listings changed`;
  };
  const syncNow = async () => {
    const all = await skus();
    let queued = 0;
    for (const [i, part] of chunks(all, 500).entries()) {
      setProgress(`sync now: ${count(i * 500)} of ${count(all.length)}`);
      const done = await ok<{ pushes_queued: number }>(api.POST("/v1/listings/sync-now", { body: { skus: part } }));
      queued += done.pushes_queued;
    }
    setProgress("");
    return queued;
  };
  const selectedSync = async () => ok<Job>(api.POST("/v1/jobs", { body: { channel: target, kind: "sync", mode: "selected", dry_run: dryRun, skus: await skus() } }));
  const relink = () => ok<Job>(api.POST("/v1/jobs", { body: { channel: target, kind: "relink" } }));
  const jobLink = (result: unknown) => `job ${(result as Job).id} queued`;
  return (
    <Section title="Bulk actions">
      <fieldset class="row">
        <legend>Act on</legend>
        <label>
          <input type="radio" name="scope" checked={scope === "selected"} onChange={() => setScope("selected")} /> Selected listings ({selected.length})
        </label>{" "}
        <label>
          <input type="radio" name="scope" checked={scope === "filter"} onChange={() => setScope("filter")} /> All in the filter
        </label>
      </fieldset>
      <div class="actions">
        <Action label="Turn auto sync on" run={autoSync(true)} done={flagged} after={after} />
        <Action label="Turn auto sync off" run={autoSync(false)} done={flagged} after={after} />
        <Action label="Sync now" run={syncNow} done={(n) => `${count(n as number)} pushes queued (auto sync is on for them)`} after={after} />
      </div>
      <div class="row">
        <Field label="Channel for sync and re-link" name="channel">
          {(p) => (
            <select {...p} value={target} onChange={(e) => setChannel(e.currentTarget.value)}>
              {channels.map((c) => (
                <option key={c.name}>{c.name}</option>
              ))}
            </select>
          )}
        </Field>
        <div class="field check">
          <input id="bulk-dry-run" type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.currentTarget.checked)} />
          <label for="bulk-dry-run">Dry run (plan only)</label>
        </div>
        <Action label="Sync selected to channel" run={selectedSync} done={jobLink} />
        <Action label="Re-link unlinked listings" run={relink} done={jobLink} />
      </div>
      {progress && <p role="status">{progress}</p>}
    </Section>
  );
}

/** The row's auto sync, as the seeds' toggle beside the SKU: one click turns it on or off. */
function AutoSyncToggle({ sku, on, after }: { sku: string; on: boolean; after: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const flip = async () => {
    setBusy(true);
    setError(null);
    try {
      await ok(api.POST("/v1/listings/auto-sync", { body: { auto_sync: !on, skus: [sku] } }));
      after();
    } catch (failed) {
      setError(asApiError(failed));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="toggle" aria-pressed={on} aria-busy={busy} onClick={flip}>
        <span class="visually-hidden">Auto sync for {sku}: </span>
        {on ? "on" : "off"}
      </button>
      <Problem error={error} />
    </>
  );
}

export function Listings({ query }: { query: URLSearchParams }) {
  const filter = filterOf(query);
  const cursor = query.get("cursor");
  const key = FILTER_KEYS.map((k) => filter[k] ?? "").join("|") + cursor;
  const channels = useLoad(() => ok<Channel[]>(api.GET("/v1/channels")), []);
  const page = useLoad(() => listingPage(filter, cursor), [key]);
  const [selected, setSelected] = useState<string[]>([]);
  const names = page.data?.channels ?? (channels.data ?? []).map((c) => c.name);
  const rows = page.data?.listings ?? [];
  const toggle = (sku: string, on: boolean) => setSelected(on ? [...selected, sku] : selected.filter((s) => s !== sku));
  const allOn = rows.length > 0 && rows.every((r) => selected.includes(r.sku));
  return (
    <>
      <h1>Listings</h1>
      <Filters key={key} filter={filter} channels={channels.data ?? []} error={page.error} />
      <Problem error={page.error} />
      <Bulk filter={filter} selected={selected} channels={channels.data ?? []} after={() => void page.reload()} />
      <div class="table-wrap">
        <table aria-label="Listings" aria-busy={page.loading}>
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select every listing on this page"
                  checked={allOn}
                  onChange={(e) => setSelected(e.currentTarget.checked ? [...new Set([...selected, ...rows.map((r) => r.sku)])] : [])}
                />
              </th>
              <th scope="col">SKU</th>
              <th scope="col">Title</th>
              <th scope="col">On hand</th>
              <th scope="col">Committed</th>
              <th scope="col">Balance</th>
              <th scope="col">Status</th>
              <th scope="col">Auto sync</th>
              {names.map((n) => (
                <th scope="col" key={n}>
                  {n}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.sku}>
                <td>
                  <input type="checkbox" aria-label={`Select ${row.sku}`} checked={selected.includes(row.sku)} onChange={(e) => toggle(row.sku, e.currentTarget.checked)} />
                </td>
                <th scope="row">
                  <a href={href("listings", row.sku)}>{row.sku}</a>
                </th>
                <td>{row.title}</td>
                <td>{count(row.on_hand)}</td>
                <td>{count(row.committed)}</td>
                <td>{count(row.syncable_balance)}</td>
                <td>{row.status}</td>
                <td>
                  <AutoSyncToggle sku={row.sku} on={row.auto_sync} after={() => void page.reload()} />
                </td>
                {names.map((n) => {
                  const state = row.channels?.[n];
                  return (
                    <td key={n} class={`state-${state?.state ?? "unlinked"}`} title={state?.reason || undefined}>
                      {words(state?.state ?? "unlinked")}
                      {state?.last_pushed_quantity != null && <small> · pushed {state.last_pushed_quantity}</small>}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!page.data && !page.error && <Loading />}
      {page.data && rows.length === 0 && <p>No listing in this filter.</p>}
      <nav aria-label="Pages" class="actions">
        {cursor && <a href={href("listings", filter as Record<string, string>)}>First page</a>}
        {page.data?.next_cursor && <a href={href("listings", { ...filter, cursor: page.data.next_cursor } as Record<string, string>)}>Next page</a>}
      </nav>
      <Import after={() => void page.reload()} />
    </>
  );
}
