import { useState } from "preact/hooks";
import { api, ApiError, ok } from "../api/client";
import type { Channel, ChannelType, LinkPriority, SyncMode } from "../api/types";
import { time } from "../format";
import { go, href } from "../router";
import { Field, Problem, Section, useLoad, useSubmit } from "../ui";
import { CredentialFields, given, InsecureUrl, onThisMachine, Priorities, type Credentials } from "./channelForm";

const STEPS = ["Type and name", "Store and credentials", "Linking", "Schedule"];
const STEP_FIELDS = [["name", "type"], ["store_url", "allow_insecure_url", "token", "key", "secret", "webhook_secret", "seller_id", "marketplace_id", "client_id", "client_secret", "refresh_token", "dev_id", "lwa_url"], ["priorities", "link_after_build"], ["rate", "mode", "enabled"]];

export interface ScheduleValue {
  enabled: boolean;
  rate: string;
  mode: SyncMode;
}

export function ScheduleFields({ value, set, error }: { value: ScheduleValue; set: (s: ScheduleValue) => void; error: ApiError | null }) {
  return (
    <>
      <div class="field check">
        <input id="schedule-enabled" type="checkbox" checked={value.enabled} onChange={(e) => set({ ...value, enabled: e.currentTarget.checked })} />
        <label for="schedule-enabled">Sync on a schedule</label>
      </div>
      <Field label="Every" name="rate" error={error} hint="30m, 1h, 2d, '90 minutes'">
        {(p) => <input {...p} type="text" value={value.rate} onInput={(e) => set({ ...value, rate: e.currentTarget.value })} />}
      </Field>
      <Field label="Scheduled sync mode" name="mode" error={error}>
        {(p) => (
          <select {...p} value={value.mode} onChange={(e) => set({ ...value, mode: e.currentTarget.value as SyncMode })}>
            <option value="smart">smart (what changed)</option>
            <option value="partial">partial (out of sync)</option>
            <option value="full">full (every linked listing)</option>
          </select>
        )}
      </Field>
    </>
  );
}

function AddChannel({ after }: { after: (c: Channel) => void }) {
  const [step, setStep] = useState(0);
  const [type, setType] = useState<ChannelType>("shopify");
  const [name, setName] = useState("");
  const [storeUrl, setStoreUrl] = useState("");
  const [insecure, setInsecure] = useState<boolean | null>(null); // null: follows the URL (ticked for this machine)
  const allowInsecure = insecure ?? onThisMachine(storeUrl);
  const [credentials, setCredentials] = useState<Credentials>({});
  const [priorities, setPriorities] = useState<LinkPriority[]>([{ listing_field: "sku", channel_field: "sku" }]);
  const [linkAfterBuild, setLinkAfterBuild] = useState(true);
  const [schedule, setSchedule] = useState<ScheduleValue>({ enabled: true, rate: "1h", mode: "smart" });
  const [saved, setSaved] = useState(false);
  const last = step === STEPS.length - 1;
  const { busy, error, onSubmit } = useSubmit(
    async () => {
      if (!last) return null;
      try {
        if (!saved) await ok<Channel>(api.POST("/v1/channels", { body: { name, type, store_url: storeUrl, allow_insecure_url: allowInsecure, ...given(credentials), priorities, link_after_build: linkAfterBuild } }));
      } catch (refused) {
        const fields = refused instanceof ApiError ? refused.errors.map((e) => e.field.split(".")[0]!) : [];
        const at = STEP_FIELDS.findIndex((names) => names.some((n) => fields.includes(n)));
        if (at >= 0) setStep(at); // back to the step whose field the API refused
        throw refused;
      }
      setSaved(true); // a refused schedule is fixed and sent again without adding the channel twice
      return ok<Channel>(api.PUT("/v1/channels/{name}/schedule", { params: { path: { name } }, body: schedule }));
    },
    (channel) => {
      if (channel) after(channel);
      else setStep(step + 1);
    },
  );
  return (
    <Section title="Add a channel">
      <ol class="steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} aria-current={i === step ? "step" : undefined}>
            {i + 1}. {s}
          </li>
        ))}
      </ol>
      <form aria-label="Add a channel" onSubmit={onSubmit} noValidate>
        <h3>
          Step {step + 1} of {STEPS.length}: {STEPS[step]}
        </h3>
        {step === 0 && (
          <>
            <Field label="Channel type" name="type" error={error}>
              {(p) => (
                <select {...p} value={type} onChange={(e) => setType(e.currentTarget.value as ChannelType)}>
                  <option value="shopify">Shopify</option>
                  <option value="woocommerce">WooCommerce</option>
                  <option value="amazon">Amazon (Selling Partner API)</option>
                  <option value="ebay">eBay</option>
                </select>
              )}
            </Field>
            <Field label="Channel name" name="name" error={error} hint="lower-case letters, digits and dashes, like main-shop">
              {(p) => <input {...p} type="text" value={name} onInput={(e) => setName(e.currentTarget.value)} />}
            </Field>
          </>
        )}
        {step === 1 && (
          <>
            <Field label="Store URL" name="store_url" error={error}>
              {(p) => <input {...p} type="url" value={storeUrl} onInput={(e) => setStoreUrl(e.currentTarget.value)} />}
            </Field>
            <InsecureUrl id="add-insecure-url" value={allowInsecure} set={setInsecure} />
            <CredentialFields type={type} value={credentials} set={setCredentials} error={error} />
            <p class="hint">The credentials are checked with a test call to the store when you add the channel; nothing is saved if the store refuses them.</p>
          </>
        )}
        {step === 2 && (
          <>
            <Priorities type={type} value={priorities} set={setPriorities} error={error} />
            <div class="field check">
              <input id="add-link-after-build" type="checkbox" checked={linkAfterBuild} onChange={(e) => setLinkAfterBuild(e.currentTarget.checked)} />
              <label for="add-link-after-build">Link after build (new listings are linked when imported)</label>
            </div>
          </>
        )}
        {step === 3 && <ScheduleFields value={schedule} set={setSchedule} error={error} />}
        <Problem error={error} />
        <div class="actions">
          {step > 0 && (
            <button type="button" onClick={() => setStep(step - 1)}>
              Back
            </button>
          )}
          <button type="submit" class="primary" aria-busy={busy}>
            {last ? "Test connection and add channel" : "Next"}
          </button>
        </div>
      </form>
    </Section>
  );
}

export function Channels({ query }: { query: URLSearchParams }) {
  const adding = query.get("add") === "1";
  const channels = useLoad(() => ok<Channel[]>(api.GET("/v1/channels")), []);
  return (
    <>
      <h1>Channels</h1>
      {adding ? (
        <AddChannel after={(c) => go(href("channels", c.name))} />
      ) : (
        <p>
          <a href={href("channels", { add: "1" })} class="button">
            Add a channel
          </a>
        </p>
      )}
      <Problem error={channels.error} />
      <div class="table-wrap">
        <table aria-label="Channels">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Store</th>
              <th scope="col">Priorities</th>
              <th scope="col">Schedule</th>
              <th scope="col">Last full sync</th>
            </tr>
          </thead>
          <tbody>
            {(channels.data ?? []).map((c) => (
              <tr key={c.name}>
                <th scope="row">
                  <a href={href("channels", c.name)}>{c.name}</a>
                </th>
                <td>{c.type}</td>
                <td>
                  {c.store_name || c.store_url}
                  <br />
                  <small>{c.store_url}</small>
                </td>
                <td>{c.priorities.map((p) => `${p.listing_field} → ${p.channel_field}`).join(", ")}</td>
                <td>{c.schedule?.enabled ? `${c.schedule.mode} every ${c.schedule.rate}` : "off"}</td>
                <td>{time(c.synced_full_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {channels.data?.length === 0 && <p>No channel yet.</p>}
    </>
  );
}
