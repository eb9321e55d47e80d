// The parts of a channel's form that adding and editing share: credentials by type, and the linking
// priorities in order (add, remove, move up and down).
import type { ApiError } from "../api/client";
import type { ChannelType, LinkPriority } from "../api/types";
import { Field, FieldProblems } from "../ui";

export const CHANNEL_FIELDS: Record<ChannelType, string[]> = {
  shopify: ["sku", "barcode"],
  woocommerce: ["sku", "global_unique_id"],
  amazon: ["sku", "external_product_id", "asin"],
  ebay: ["sku", "upc", "ean"],
};
const LISTING_FIELDS = ["sku", "upc", "mpn"] as const;

export interface Credentials {
  token?: string;
  key?: string;
  secret?: string;
  client_id?: string;
  client_secret?: string;
  refresh_token?: string;
  dev_id?: string;
  marketplace_id?: string;
  webhook_secret?: string;
  seller_id?: string;
  lwa_url?: string;
}

// Amazon's connection: what the seller's authorization of the app gave. The ids and the endpoint are
// not secrets (shown as typed); an edit can rotate only the app's credentials and the refresh token.
const AMAZON_FIELDS: [keyof Credentials, string][] = [
  ["seller_id", "Seller id (merchant token)"],
  ["marketplace_id", "Marketplace id (ATVPDKIKX0DER is the US)"],
  ["client_id", "LWA client id"],
  ["client_secret", "LWA client secret"],
  ["refresh_token", "Refresh token"],
  ["lwa_url", "LWA token endpoint (a sandbox's; leave empty for Amazon's)"],
];
const AMAZON_EDITABLE = new Set<keyof Credentials>(["client_id", "client_secret", "refresh_token"]);
const PLAIN = new Set<keyof Credentials>(["seller_id", "marketplace_id", "lwa_url"]);

const CREDENTIALS: Record<ChannelType, [keyof Credentials, string][]> = {
  shopify: [["token", "Admin API access token"], ["webhook_secret", "Webhook secret"]],
  woocommerce: [["key", "Consumer key"], ["secret", "Consumer secret"], ["webhook_secret", "Webhook secret"]],
  ebay: [["client_id", "App ID (client id)"], ["client_secret", "Cert ID (client secret)"], ["refresh_token", "Seller's refresh token"], ["webhook_secret", "Notification verification token"], ["dev_id", "Dev ID (verifies Platform Notifications; optional)"]],
  amazon: AMAZON_FIELDS,
};

function fieldsOf(type: ChannelType, editing?: boolean): [keyof Credentials, string][] {
  if (type === "amazon") return AMAZON_FIELDS.filter(([name]) => !editing || AMAZON_EDITABLE.has(name));
  return CREDENTIALS[type] ?? [];
}

export function CredentialFields({ type, value, set, error, editing }: { type: ChannelType; value: Credentials; set: (c: Credentials) => void; error: ApiError | null; editing?: boolean }) {
  const names = fieldsOf(type, editing);
  return (
    <>
      {type === "ebay" && !editing && (
        <Field label="Marketplace" name="marketplace_id" error={error} hint="the marketplace id of the offers, like EBAY_US">
          {(p) => <input {...p} type="text" autocomplete="off" placeholder="EBAY_US" value={value.marketplace_id ?? ""} onInput={(e) => set({ ...value, marketplace_id: e.currentTarget.value })} />}
        </Field>
      )}
      {names.map(([name, label]) => (
        <Field key={name} label={label} name={name} error={error} hint={editing ? "leave empty to keep the one saved" : undefined}>
          {(p) => {
            const onInput = (e: { currentTarget: HTMLInputElement }) => set({ ...value, [name]: e.currentTarget.value });
            return PLAIN.has(name) ? <input {...p} type="text" autocomplete="off" value={value[name] ?? ""} onInput={onInput} /> : <input {...p} type="password" autocomplete="off" value={value[name] ?? ""} onInput={onInput} />;
          }}
        </Field>
      ))}
    </>
  );
}

export function Priorities({ type, value, set, error }: { type: ChannelType; value: LinkPriority[]; set: (p: LinkPriority[]) => void; error: ApiError | null }) {
  const move = (from: number, to: number) => {
    const next = [...value];
    const [taken] = next.splice(from, 1);
    next.splice(to, 0, taken!);
    set(next);
  };
  const listId = `channel-fields-${type}`;
  return (
    <fieldset>
      <legend>Linking priorities, tried in order</legend>
      <datalist id={listId}>
        {CHANNEL_FIELDS[type].map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      <FieldProblems error={error} name="priorities" />
      <ol>
        {value.map((priority, i) => (
          <li key={i} class="row">
            <Field label={`Listing field ${i + 1}`} name={`priorities.${i}.listing_field`} error={error}>
              {(p) => (
                <select {...p} value={priority.listing_field} onChange={(e) => set(value.map((v, j) => (j === i ? { ...v, listing_field: e.currentTarget.value as LinkPriority["listing_field"] } : v)))}>
                  {LISTING_FIELDS.map((f) => (
                    <option key={f}>{f}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={`Channel field ${i + 1}`} name={`priorities.${i}.channel_field`} error={error} hint={`${type}: ${CHANNEL_FIELDS[type].join(" or ")}`}>
              {(p) => <input {...p} type="text" list={listId} value={priority.channel_field} onInput={(e) => set(value.map((v, j) => (j === i ? { ...v, channel_field: e.currentTarget.value } : v)))} />}
            </Field>
            <div class="actions">
              <button type="button" aria-label={`Move priority ${i + 1} up`} disabled={i === 0} onClick={() => move(i, i - 1)}>
                ↑
              </button>
              <button type="button" aria-label={`Move priority ${i + 1} down`} disabled={i === value.length - 1} onClick={() => move(i, i + 1)}>
                ↓
              </button>
              <button type="button" aria-label={`Remove priority ${i + 1}`} disabled={value.length === 1} onClick={() => set(value.filter((_, j) => j !== i))}>
                Remove
              </button>
            </div>
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => set([...value, { listing_field: "upc", channel_field: CHANNEL_FIELDS[type][1] ?? "sku" }])}>
        Add priority
      </button>
    </fieldset>
  );
}

export function given(credentials: Credentials): Credentials {
  return Object.fromEntries(Object.entries(credentials).filter(([, v]) => v)) as Credentials;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Whether the URL's store is on this machine (a sandbox): one of your own, so any http(s) URL is allowed. */
export function onThisMachine(url: string): boolean {
  try {
    return LOOPBACK.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** allow_insecure_url: Shopify takes only https://<shop>.myshopify.com and WooCommerce https, unless this. */
export function InsecureUrl({ id, value, set }: { id: string; value: boolean; set: (on: boolean) => void }) {
  return (
    <div class="field check">
      <input id={id} type="checkbox" checked={value} onChange={(e) => set(e.currentTarget.checked)} aria-describedby={`${id}-hint`} />
      <label for={id}>Allow any http(s) address (a store of your own)</label>
      <small id={`${id}-hint`} class="hint">
        for a store of your own (a sandbox, a store on this machine); otherwise Shopify takes only https://&lt;shop&gt;.myshopify.com and WooCommerce only https
      </small>
    </div>
  );
}
