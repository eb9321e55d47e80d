import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { Channel, HistoryEntry } from "../api/types";
import { time, TIME_ZONE } from "../format";
import { go, href } from "../router";
import { Field, Problem, useLoad } from "../ui";

interface HistoryPage {
  sku: string;
  entries: HistoryEntry[];
  next: string | null;
}

const NEWEST_MS = 5000; // the newest page, while visible: a push shows without a reload

/** A listing's sync history on one channel or all, newest first, a page at a time (older: the cursor). */
export function HistoryTable({ sku, channel, cursor, link }: { sku: string; channel: string; cursor: string; link: (cursor: string) => string }) {
  const page = useLoad(
    () => ok<HistoryPage>(api.GET("/v1/history/{sku}", { params: { path: { sku }, query: { limit: 25, ...(channel ? { channel } : {}), ...(cursor ? { cursor } : {}) } } })),
    [sku, channel, cursor],
    cursor ? 0 : NEWEST_MS,
  );
  const entries = page.data?.entries ?? [];
  return (
    <>
      <Problem error={page.error} />
      <div class="table-wrap">
        <table aria-label={`Sync history of ${sku}`} aria-busy={page.loading}>
          <thead>
            <tr>
              <th scope="col">When ({TIME_ZONE})</th>
              <th scope="col">Channel</th>
              <th scope="col">Field</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Result</th>
              <th scope="col">Job</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e, i) => (
              <tr key={`${e.at}-${e.channel}-${e.field}-${i}`}>
                <td>{time(e.at)}</td>
                <td>{e.channel}</td>
                <td>{e.field}</td>
                <td>{e.from_value ?? "—"}</td>
                <td>{e.to_value}</td>
                <td class={`state-${e.outcome}`}>
                  {e.outcome}
                  {e.message && <small> · {e.message}</small>}
                </td>
                <td>{e.job_id ? <a href={href("jobs", e.job_id)}>{e.job_id.slice(0, 8)}</a> : "auto sync"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page.data && entries.length === 0 && <p>No push recorded{cursor ? " on this page" : ""}.</p>}
      <nav aria-label="History pages" class="actions">
        {cursor && <a href={link("")}>Newest</a>}
        {page.data?.next && <a href={link(page.data.next)}>Older entries</a>}
      </nav>
    </>
  );
}

export function History({ sku, query }: { sku: string; query: URLSearchParams }) {
  const channel = query.get("channel") ?? "";
  const cursor = query.get("cursor") ?? "";
  const [given, setGiven] = useState(sku);
  const [on, setOn] = useState(channel);
  const channels = useLoad(() => ok<Channel[]>(api.GET("/v1/channels")), []);
  const show = (e: Event) => {
    e.preventDefault();
    if (given.trim()) go(href("history", given.trim(), { channel: on }));
  };
  return (
    <>
      <h1>History{sku && ` of ${sku}`}</h1>
      <form class="filters" aria-label="Whose history" onSubmit={show}>
        <Field label="SKU" name="sku">
          {(p) => <input {...p} type="text" value={given} onInput={(e) => setGiven(e.currentTarget.value)} required />}
        </Field>
        <Field label="Channel" name="channel">
          {(p) => (
            <select {...p} value={on} onChange={(e) => setOn(e.currentTarget.value)}>
              <option value="">every channel</option>
              {(channels.data ?? []).map((c) => (
                <option key={c.name}>{c.name}</option>
              ))}
            </select>
          )}
        </Field>
        <div class="actions">
          <button type="submit" class="primary">
            Show history
          </button>
        </div>
      </form>
      {sku && <HistoryTable sku={sku} channel={channel} cursor={cursor} link={(c) => href("history", sku, { channel, cursor: c })} />}
    </>
  );
}
