import { useEffect, useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { AutoSyncRules, CreatedBy } from "../api/types";
import { Problem, Section, useLoad, useSubmit } from "../ui";
import { LocationsSection } from "./Locations";

const METHODS: [CreatedBy, string][] = [
  ["manual", "Created by hand"],
  ["file_import", "Created by a file import"],
  ["order_import", "Created by an order import (they start at 0)"],
  ["feed", "Created by an inventory feed"],
];

export function Settings() {
  const rules = useLoad(() => ok<AutoSyncRules>(api.GET("/v1/settings/auto-sync-rules")), []);
  const [value, setValue] = useState<AutoSyncRules | null>(null);
  const [said, setSaid] = useState("");
  useEffect(() => setValue(rules.data ?? null), [rules.data]);
  const { busy, error, onSubmit } = useSubmit(
    () => ok<AutoSyncRules>(api.PATCH("/v1/settings/auto-sync-rules", { body: value! })),
    (saved) => {
      setValue(saved);
      setSaid("Rules saved: new listings get them");
    },
  );
  return (
    <>
      <h1>Settings</h1>
      <Problem error={rules.error} />
      {value && (
        <Section title="Auto sync for new listings">
          <form aria-label="Auto-sync rules" onSubmit={(e) => (setSaid(""), onSubmit(e))}>
            <fieldset>
              <legend>Turn auto sync on for new listings…</legend>
              {METHODS.map(([method, label]) => (
                <div class="field check" key={method}>
                  <input id={`rule-${method}`} type="checkbox" checked={value[method]} onChange={(e) => setValue({ ...value, [method]: e.currentTarget.checked })} />
                  <label for={`rule-${method}`}>{label}</label>
                </div>
              ))}
            </fieldset>
            <p class="hint">Existing listings keep their own flag. Turning auto sync on pushes nothing by itself: use Sync now on the Listings screen.</p>
            <Problem error={error} />
            <div class="actions">
              <button type="submit" class="primary" aria-busy={busy}>
                Save rules
              </button>
              {said && (<span role="status" class="said">{said}</span>)}
            </div>
          </form>
        </Section>
      )}
      <LocationsSection />
    </>
  );
}
