import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { Channel, Job, JobKind, LinkPriority, SyncMode } from "../api/types";
import { time } from "../format";
import { go, href } from "../router";
import { Action, Field, Problem, Section, useLoad, useSubmit, Loading } from "../ui";
import { CredentialFields, given, InsecureUrl, onThisMachine, Priorities, type Credentials } from "./channelForm";
import { ScheduleFields, type ScheduleValue } from "./Channels";
import { LocationMapSection } from "./Locations";

function Run({ channel }: { channel: Channel }) {
  const [dryRun, setDryRun] = useState(false);
  const [relink, setRelink] = useState(false);
  const start = (kind: JobKind, mode?: SyncMode) => () =>
    ok<Job>(api.POST("/v1/jobs", { body: { channel: channel.name, kind, ...(mode ? { mode, dry_run: dryRun, relink } : {}) } }));
  const open = (job: unknown) => go(href("jobs", (job as Job).id));
  return (
    <Section title="Run">
      <div class="row">
        <div class="field check">
          <input id="run-dry-run" type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.currentTarget.checked)} />
          <label for="run-dry-run">Dry run (plan only, push nothing)</label>
        </div>
        <div class="field check">
          <input id="run-relink" type="checkbox" checked={relink} onChange={(e) => setRelink(e.currentTarget.checked)} />
          <label for="run-relink">Re-link unlinked listings first</label>
        </div>
      </div>
      <div class="actions">
        <Action label="Run partial sync" run={start("sync", "partial")} done={open} />
        <Action label="Run full sync" run={start("sync", "full")} done={open} />
        <Action label="Run smart sync" run={start("sync", "smart")} done={open} />
      </div>
      <div class="actions">
        <Action label="Reconcile" run={start("reconcile")} done={open} />
        <Action label="Link" run={start("link")} done={open} />
        <Action label="Re-link" run={start("relink")} done={open} />
      </div>
    </Section>
  );
}

function Edit({ channel, after }: { channel: Channel; after: () => void }) {
  const [storeUrl, setStoreUrl] = useState(channel.store_url);
  const [insecure, setInsecure] = useState<boolean | null>(null);
  const allowInsecure = insecure ?? onThisMachine(storeUrl);
  const [credentials, setCredentials] = useState<Credentials>({});
  const [priorities, setPriorities] = useState<LinkPriority[]>(channel.priorities);
  const [linkAfterBuild, setLinkAfterBuild] = useState(channel.link_after_build);
  const [said, setSaid] = useState("");
  const { busy, error, onSubmit } = useSubmit(
    () => ok<Channel>(api.PATCH("/v1/channels/{name}", { params: { path: { name: channel.name } }, body: { ...(storeUrl !== channel.store_url ? { store_url: storeUrl, allow_insecure_url: allowInsecure } : {}), ...given(credentials), priorities, link_after_build: linkAfterBuild } })),
    () => {
      setSaid("Saved");
      setCredentials({});
      after();
    },
  );
  return (
    <Section title="Settings">
      <form aria-label="Edit channel" onSubmit={(e) => (setSaid(""), onSubmit(e))} noValidate>
        <Field label="Store URL" name="store_url" error={error}>
          {(p) => <input {...p} type="url" value={storeUrl} onInput={(e) => setStoreUrl(e.currentTarget.value)} />}
        </Field>
        <InsecureUrl id="edit-insecure-url" value={allowInsecure} set={setInsecure} />
        <CredentialFields type={channel.type} value={credentials} set={setCredentials} error={error} editing />
        <Priorities type={channel.type} value={priorities} set={setPriorities} error={error} />
        <div class="field check">
          <input id="edit-link-after-build" type="checkbox" checked={linkAfterBuild} onChange={(e) => setLinkAfterBuild(e.currentTarget.checked)} />
          <label for="edit-link-after-build">Link after build (new listings are linked when imported)</label>
        </div>
        <Problem error={error} />
        <div class="actions">
          <button type="submit" class="primary" aria-busy={busy}>
            Save channel
          </button>
          {said && (<span role="status" class="said">{said}</span>)}
        </div>
      </form>
    </Section>
  );
}

function Schedule({ channel, after }: { channel: Channel; after: () => void }) {
  const [value, setValue] = useState<ScheduleValue>(channel.schedule ?? { enabled: false, rate: "1h", mode: "smart" });
  const [said, setSaid] = useState("");
  const { busy, error, onSubmit } = useSubmit(
    () => ok(api.PUT("/v1/channels/{name}/schedule", { params: { path: { name: channel.name } }, body: value })),
    () => {
      setSaid("Schedule saved");
      after();
    },
  );
  return (
    <Section title="Schedule">
      <form aria-label="Schedule" onSubmit={(e) => (setSaid(""), onSubmit(e))} class="filters" noValidate>
        <ScheduleFields value={value} set={setValue} error={error} />
        <div class="actions">
          <button type="submit" class="primary" aria-busy={busy}>
            Save schedule
          </button>
          {said && (<span role="status" class="said">{said}</span>)}
        </div>
      </form>
      <Problem error={error} />
    </Section>
  );
}

export function ChannelPage({ name }: { name: string }) {
  const shown = useLoad(() => ok<Channel>(api.GET("/v1/channels/{name}", { params: { path: { name } } })), [name]);
  const channel = shown.data;
  return (
    <>
      <p>
        <a href="#/channels">Channels</a> › {name}
      </p>
      <h1>Channel {name}</h1>
      <Problem error={shown.error} />
      {!channel && !shown.error && <Loading />}
      {channel && (
        <>
          <p>
            {channel.type} · {channel.store_name || channel.store_url} · added {time(channel.created_at)} · last full sync {time(channel.synced_full_at)} ·{" "}
            <a href={href("jobs", { channel: name })}>its jobs</a> · <a href={href("listings", { channel: name, link_state: "unlinked" })}>its unlinked listings</a>
          </p>
          <Run channel={channel} />
          <Edit key={channel.name} channel={channel} after={() => void shown.reload()} />
          <Schedule key={`s-${channel.name}`} channel={channel} after={() => void shown.reload()} />
          <LocationMapSection key={`l-${channel.name}`} channel={channel.name} />
        </>
      )}
    </>
  );
}
