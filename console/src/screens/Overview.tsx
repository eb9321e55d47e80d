import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { listingPage } from "../api/listings";
import { count, time, TIME_ZONE, words } from "../format";
import { go, href } from "../router";
import { Action, Problem as Refusal, Section, useLoad, Loading } from "../ui";
import { StoppedSyncs } from "./allocation";

type Overview = Schemas["Overview"];
type Problem = Schemas["Problem"];
type Cause = Schemas["Cause"];
type JobBrief = Schemas["JobBrief"];

const CAUSES: Record<Cause, string> = {
  duplicate_sku: "Duplicate SKU",
  unlinked_after_change: "Unlinked after a SKU change",
  out_of_sync: "Out of sync",
  bad_credentials: "Bad credentials",
  throttled: "Throttled",
  rejected: "Rejected by the channel",
  dead_letters: "Dead letters",
};
// The listings a problem is about, as the Listings screen's link state filter names them.
const STATE_OF: Partial<Record<Cause, string>> = {
  duplicate_sku: "duplicate",
  unlinked_after_change: "unlinked",
  out_of_sync: "out_of_sync",
  rejected: "error",
};
export const OVERVIEW_MS = 5000; // the Overview while visible; the header's badge: every 30 s

// Every Overview read is handed to the header's badge: it shows what the Overview screen shows the
// moment that screen reads it, not at its own next poll up to 30 s later.
const readers = new Set<(read: Overview) => void>();
const overview = async () => {
  const read = await ok<Overview>(api.GET("/v1/overview"));
  readers.forEach((reader) => reader(read));
  return read;
};

/** The header's badge whenever something needs attention (every 30 s while the tab is visible). */
export function AttentionBadge() {
  const [data, setData] = useState<Overview | undefined>(undefined);
  useEffect(() => {
    readers.add(setData);
    return () => void readers.delete(setData);
  }, []);
  useLoad(overview, [], 30_000);
  if (!data?.needs_attention) return null;
  const n = data.problems.length + data.alarms.filter((a) => a.state === "ALARM").length;
  return (
    <a class="badge" href="#/" aria-label={`${n} ${n === 1 ? "thing needs" : "things need"} attention`}>
      {n}
    </a>
  );
}

/** A few of the listings a problem holds, with why (their cell's reason), from the Listings search. */
function Examples({ channel, state }: { channel: string; state: string }) {
  const page = useLoad(() => listingPage({ channel, link_state: state }, null, 5), [channel, state]);
  const rows = page.data?.listings ?? [];
  if (!rows.length) return null;
  return (
    <ul>
      {rows.map((row) => (
        <li key={row.sku}>
          <a href={href("listings", row.sku)}>{row.sku}</a>
          {row.channels[channel]?.reason && `: ${row.channels[channel]!.reason}`}
        </li>
      ))}
    </ul>
  );
}

function ProblemRegion({ problem, after }: { problem: Problem; after: () => void }) {
  const title = `${CAUSES[problem.cause]}${problem.channel ? ` on ${problem.channel}` : ""}`;
  const state = STATE_OF[problem.cause];
  const action = problem.action;
  const apply = async () => {
    if (!action) return null;
    if (action.method !== "POST") return go(href("channels", problem.channel ?? "")); // a form to fill
    return ok(api.POST(action.path as "/v1/jobs", { body: (action.body ?? {}) as never }));
  };
  const said = (result: unknown) => {
    const job = result as { id?: string } | null;
    return job?.id ? `job ${job.id.slice(0, 8)} queued` : `${action?.label}: done`;
  };
  return (
    <Section title={title}>
      <p>
        <strong>{problem.message}</strong> ({count(problem.count)})
      </p>
      <p>Fix: {problem.fix}</p>
      {problem.channel && state && <Examples channel={problem.channel} state={state} />}
      {problem.job_id && (
        <p>
          <a href={href("jobs", problem.job_id)}>The job and its failures</a>
        </p>
      )}
      {problem.channel && state && (
        <p>
          <a href={href("listings", { channel: problem.channel, link_state: state })}>Every listing it holds</a>
        </p>
      )}
      {action && <Action label={action.label} kind="primary" run={apply} done={said} after={after} />}
    </Section>
  );
}

function JobLink({ job }: { job: JobBrief | null | undefined }) {
  if (!job) return <>none</>;
  return <a href={href("jobs", job.id)}>{`${words(job.kind)}${job.mode ? ` ${job.mode}` : ""}: ${words(job.status)} · ${time(job.started_at ?? job.created_at)}`}</a>;
}

export function Overview() {
  const { data, error, reload } = useLoad(overview, [], OVERVIEW_MS);
  const dead = data?.dead_letters.reduce((n, q) => n + q.messages, 0) ?? 0;
  return (
    <>
      <h1>Needs attention</h1>
      <Refusal error={error} />
      {!data && !error && <Loading />}
      {data && (
        <>
          {!data.needs_attention && <p role="status">Nothing needs attention: every channel is linked and in sync.</p>}
          <StoppedSyncs after={() => void reload()} />
          {data.problems.map((problem, i) => (
            <ProblemRegion key={`${problem.cause}-${problem.channel}-${problem.job_id ?? i}`} problem={problem} after={() => void reload()} />
          ))}
          {data.alarms.some((a) => a.state === "ALARM") && (
            <Section title="Alarms">
              <ul>
                {data.alarms
                  .filter((a) => a.state === "ALARM")
                  .map((a) => (
                    <li key={a.name}>
                      <strong>{a.name}</strong>: {a.description} ({a.reason}, {time(a.changed_at)})
                    </li>
                  ))}
              </ul>
            </Section>
          )}
          <Section title="Channels">
            {data.channels.length === 0 ? (
              <p>
                No channel yet: <a href={href("channels", { add: "1" })}>add one</a>.
              </p>
            ) : (
              <div class="table-wrap">
                <table aria-label="Channels at a glance">
                  <thead>
                    <tr>
                      <th scope="col">Channel</th>
                      <th scope="col">Linked</th>
                      <th scope="col">Unlinked</th>
                      <th scope="col">Duplicate</th>
                      <th scope="col">Out of sync</th>
                      <th scope="col">Failed</th>
                      <th scope="col">Running job</th>
                      <th scope="col">Next job</th>
                      <th scope="col">Last job</th>
                      <th scope="col">Next scheduled ({TIME_ZONE})</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.channels.map((c) => (
                      <tr key={c.name}>
                        <th scope="row">
                          <a href={href("channels", c.name)}>{c.name}</a>
                        </th>
                        {(["linked", "unlinked", "duplicate", "out_of_sync", "failed"] as const).map((k) => (
                          <td key={k}>
                            <a href={href("listings", { channel: c.name, link_state: k === "failed" ? "error" : k })} aria-label={`${count(c.counts[k])} ${words(k)} on ${c.name}`}>
                              {count(c.counts[k])}
                            </a>
                          </td>
                        ))}
                        <td>
                          <JobLink job={c.running_job} />
                        </td>
                        <td>
                          <JobLink job={c.next_job} />
                        </td>
                        <td>
                          <JobLink job={c.last_job} />
                        </td>
                        <td>{c.schedule?.enabled ? `${c.schedule.mode} every ${c.schedule.rate}: ${time(c.schedule.next_run_at)}` : "no schedule"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
          <Section title="Dead letters">
            <p>
              {data.dead_letters.map((q) => `${q.queue}: ${count(q.messages)}`).join(" · ")} · <a href={href("dead-letters")}>{dead ? `read and redrive the ${count(dead)}` : "the dead-letter queues"}</a>
            </p>
          </Section>
        </>
      )}
    </>
  );
}
