import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { DeadLetters as Letters } from "../api/types";
import { count, time, TIME_ZONE } from "../format";
import { href } from "../router";
import { Action, Problem, useLoad, Loading } from "../ui";

interface Redriven {
  redriven: { id: string }[];
  left: { id: string; result: string }[];
  not_found: string[];
}

function said(result: unknown): string {
  const r = result as Redriven;
  const left = r.left.map((l) => `${l.id}: ${l.result}`).join("; ");
  return `${r.redriven.length} redriven${r.left.length ? `, ${r.left.length} left (${left})` : ""}${r.not_found.length ? `, ${r.not_found.length} gone already` : ""}`;
}

export function DeadLetters() {
  const letters = useLoad(() => ok<Letters>(api.GET("/v1/dlq")), []);
  const [selected, setSelected] = useState<string[]>([]);
  const [redriven, setRedriven] = useState(""); // a row's redrive: its row goes with the reload after it
  const messages = letters.data?.messages ?? [];
  const after = () => {
    setSelected([]);
    void letters.reload();
  };
  return (
    <>
      <h1>Dead letters</h1>
      <p class="hint">Messages that failed every retry, what each was and why. A redrive sends them back to their queue (stream failures are replayed).</p>
      <Problem error={letters.error} />
      {!letters.data && !letters.error && <Loading />}
      {letters.data && (
        <ul aria-label="Queues">
          {letters.data.queues.map((q) => (
            <li key={q.queue}>
              {q.queue}: {count(q.messages)} messages
            </li>
          ))}
        </ul>
      )}
      <div class="actions">
        <Action label="Redrive selected" run={() => ok(api.POST("/v1/dlq/redrive", { body: { ids: selected } }))} done={said} after={after} />
        <Action label="Redrive all" confirm="Send every dead letter back to its queue?" run={() => ok(api.POST("/v1/dlq/redrive", { body: {} }))} done={said} after={after} />
        {redriven && (<span role="status" class="said">{redriven}</span>)}
      </div>
      <div class="table-wrap">
        <table aria-label="Dead letters">
          <thead>
            <tr>
              <th scope="col">
                <span class="visually-hidden">Select</span>
              </th>
              <th scope="col">Queue</th>
              <th scope="col">What</th>
              <th scope="col">Why it failed</th>
              <th scope="col">Tries</th>
              <th scope="col">Failed ({TIME_ZONE})</th>
              <th scope="col">Job</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr key={m.id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Select dead letter ${m.what}`}
                    checked={selected.includes(m.id)}
                    onChange={(e) => setSelected(e.currentTarget.checked ? [...selected, m.id] : selected.filter((s) => s !== m.id))}
                  />
                </td>
                <td>{m.queue}</td>
                <th scope="row">{m.what}</th>
                <td>{m.why}</td>
                <td>{m.receive_count ?? "—"}</td>
                <td>{time(m.failed_at ?? m.sent_at)}</td>
                <td>{m.job_id ? <a href={href("jobs", m.job_id)}>{m.job_id.slice(0, 8)}</a> : "—"}</td>
                <td>
                  <Action label="Redrive" run={() => ok(api.POST("/v1/dlq/redrive", { body: { queue: m.queue, ids: [m.id] } }))} done={said} after={after} report={setRedriven} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {letters.data && messages.length === 0 && <p>No dead letter: nothing failed for good.</p>}
    </>
  );
}
