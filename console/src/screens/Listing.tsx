import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { AdjustReason, Listing } from "../api/types";
import { count, time, words } from "../format";
import { href } from "../router";
import { Action, Field, Problem, Section, useLoad, useSubmit, Loading } from "../ui";
import { HistoryTable } from "./History";
import { StockSection } from "./Locations";
import { Explain } from "./allocation";

const REASONS: AdjustReason[] = ["manual", "sales_order", "purchase_order", "work_order", "file_upload", "feed"];
type Change = "on_hand" | "delta" | "committed";

function Adjust({ listing, after }: { listing: Listing; after: () => void }) {
  const [change, setChange] = useState<Change>("on_hand");
  const [value, setValue] = useState(String(listing.on_hand));
  const [reason, setReason] = useState<AdjustReason>("manual");
  const [said, setSaid] = useState("");
  const { busy, error, onSubmit } = useSubmit(
    () => {
      const amount = value.trim() === "" ? NaN : Number(value);
      const body = { sku: listing.sku, reason, [change]: Number.isInteger(amount) ? amount : value };
      return ok<{ changed: number }>(api.POST("/v1/listings/adjust", { body: body as never }));
    },
    (done) => {
      setSaid(done.changed ? "Saved: auto sync pushes it where it is on" : "Nothing changed");
      after();
    },
  );
  return (
    <form aria-label="Adjust quantities" onSubmit={(e) => (setSaid(""), onSubmit(e))} class="filters" noValidate>
      <Field label="Change" name="change">
        {(p) => (
          <select
            {...p}
            value={change}
            onChange={(e) => {
              const picked = e.currentTarget.value as Change;
              setChange(picked);
              setValue(picked === "delta" ? "0" : String(picked === "on_hand" ? listing.on_hand : listing.committed));
            }}
          >
            <option value="on_hand">Set on hand</option>
            <option value="delta">Add to on hand</option>
            <option value="committed">Set committed</option>
          </select>
        )}
      </Field>
      <Field label="Quantity" name={change} error={error}>
        {(p) => <input {...p} type="number" value={value} onInput={(e) => setValue(e.currentTarget.value)} />}
      </Field>
      <Field label="Reason" name="reason" error={error}>
        {(p) => (
          <select {...p} value={reason} onChange={(e) => setReason(e.currentTarget.value as AdjustReason)}>
            {REASONS.map((r) => (
              <option key={r} value={r}>
                {words(r)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div class="actions">
        <button type="submit" class="primary" aria-busy={busy}>
          Save adjustment
        </button>
        {said && (<span role="status" class="said">{said}</span>)}
      </div>
      <Problem error={error} />
    </form>
  );
}

export function ListingPage({ sku }: { sku: string }) {
  const shown = useLoad(() => ok<Listing>(api.GET("/v1/listings/{sku}", { params: { path: { sku } } })), [sku]);
  const listing = shown.data;
  const reload = () => void shown.reload();
  return (
    <>
      <p>
        <a href="#/listings">Listings</a> › {sku}
      </p>
      <h1>
        {sku}
        {listing?.title && ` · ${listing.title}`}
      </h1>
      <Problem error={shown.error} />
      {!listing && !shown.error && <Loading />}
      {listing && (
        <>
          <Section title="Quantities">
            <dl class="numbers">
              <div>
                <dt>On hand</dt>
                <dd>{count(listing.on_hand)}</dd>
              </div>
              <div>
                <dt>Committed</dt>
                <dd>{count(listing.committed)}</dd>
              </div>
              <div>
                <dt>Safety buffer</dt>
                <dd>{count(listing.safety_buffer)}</dd>
              </div>
              <div>
                <dt>Syncable balance</dt>
                <dd>{count(listing.syncable_balance)}</dd>
              </div>
            </dl>
            <p aria-label="How the balance is computed">
              Syncable balance = on hand {listing.on_hand} − committed {listing.committed} − safety buffer {listing.safety_buffer} ={" "}
              {listing.on_hand - listing.committed - listing.safety_buffer}
              {listing.on_hand - listing.committed - listing.safety_buffer < 0 ? ", never below 0: 0" : ""}. Each channel's rules then shape what it is sent: see why these numbers.
            </p>
            <p>
              Price {listing.price ?? "—"} · status {listing.status} · created by {words(listing.created_by)} · last change{" "}
              {listing.last_reason ? words(listing.last_reason) : "—"} at {time(listing.updated_at)} · auto sync <strong>{listing.auto_sync ? "on" : "off"}</strong>
            </p>
            <div class="actions">
              <Action
                label={listing.auto_sync ? "Turn auto sync off" : "Turn auto sync on"}
                run={() => ok(api.POST("/v1/listings/auto-sync", { body: { auto_sync: !listing.auto_sync, skus: [sku] } }))}
                after={reload}
              />
              <Action label="Sync now" run={() => ok<{ pushes_queued: number }>(api.POST("/v1/listings/sync-now", { body: { skus: [sku] } }))} done={(r) => `${(r as { pushes_queued: number }).pushes_queued} pushes queued`} after={reload} />
            </div>
          </Section>
          <Section title="Why these numbers">
            <Explain key={`${sku}-${listing.updated_at}`} sku={sku} />
          </Section>
          <Section title="Adjust">
            <Adjust listing={listing} after={reload} />
          </Section>
          <StockSection sku={sku} version={listing.updated_at} />
          <Section title="Links">
            <div class="table-wrap">
              <table aria-label={`Links of ${sku}`}>
                <thead>
                  <tr>
                    <th scope="col">Channel</th>
                    <th scope="col">Link</th>
                    <th scope="col">Variant</th>
                    <th scope="col">Channel status</th>
                    <th scope="col">Last pushed</th>
                    <th scope="col">Last observed</th>
                    <th scope="col">Sync state</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {(listing.links ?? []).map((link) => (
                    <tr key={link.channel}>
                      <th scope="row">
                        <a href={href("channels", link.channel)}>{link.channel}</a>
                        <br />
                        <small>
                          <a href={href("history", sku, { channel: link.channel })}>history on {link.channel}</a>
                        </small>
                      </th>
                      <td class={`state-${link.status}`}>
                        {link.status}
                        {link.status === "linked" ? ` by ${link.matched_field} ${link.matched_value}` : link.unlinked_reason && ` · ${link.unlinked_reason}`}
                      </td>
                      <td>{link.variant_id || "—"}</td>
                      <td>{link.channel_status}</td>
                      <td>{count(link.last_pushed_quantity)}</td>
                      <td>
                        {count(link.last_observed_quantity)}
                        {link.last_observed_price != null && ` · ${link.last_observed_price}`}
                      </td>
                      <td class={`state-${link.sync_state}`}>
                        {words(link.sync_state)}
                        {link.sync_state === "out_of_sync" && link.out_of_sync_reason && ` · ${link.out_of_sync_reason}`}
                      </td>
                      <td>{time(link.updated_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {(listing.links ?? []).length === 0 && <p>Not linked on any channel yet: run a link or re-link job on the channel.</p>}
          </Section>
          <Section title="History" actions={<a href={href("history", sku)}>Full history</a>}>
            <HistoryTable sku={sku} channel="" cursor="" link={(c) => href("history", sku, { cursor: c })} />
          </Section>
        </>
      )}
    </>
  );
}
