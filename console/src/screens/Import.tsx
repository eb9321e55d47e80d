import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { CreatedBy } from "../api/types";
import { Field, FieldProblems, Problem, Section, useSubmit } from "../ui";

interface Imported {
  created: number;
  updated: number;
  link_jobs: string[];
}

/** Create or update listings from a CSV (a header row: sku, title, upc, mpn, on_hand, committed, ...). */
export function Import({ after }: { after: () => void }) {
  const [csv, setCsv] = useState("");
  const [createdBy, setCreatedBy] = useState<CreatedBy>("file_import");
  const [said, setSaid] = useState("");
  const { busy, error, onSubmit } = useSubmit(
    () =>
      ok<Imported>(
        api.POST("/v1/listings/import", {
          params: { query: { created_by: createdBy } },
          body: csv,
          bodySerializer: (body: string) => body,
          headers: { "Content-Type": "text/csv" },
        }),
      ),
    (done) => {
      setSaid(`${done.created} created, ${done.updated} updated${done.link_jobs.length ? `, ${done.link_jobs.length} link jobs started` : ""}`);
      after();
    },
  );
  const read = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (file) setCsv(await file.text());
  };
  return (
    <Section title="Import listings">
      <form aria-label="Import listings" onSubmit={(e) => (setSaid(""), onSubmit(e))} noValidate>
        <div class="row">
          <Field label="CSV file" name="file">
            {(p) => <input {...p} type="file" accept=".csv,text/csv" onChange={read} />}
          </Field>
          <Field label="Created by" name="created_by" error={error}>
            {(p) => (
              <select {...p} value={createdBy} onChange={(e) => setCreatedBy(e.currentTarget.value as CreatedBy)}>
                <option value="file_import">file import</option>
                <option value="manual">manual</option>
                <option value="order_import">order import</option>
                <option value="feed">feed</option>
              </select>
            )}
          </Field>
        </div>
        <Field label="CSV" name="body" error={error} hint="a header row (sku, title, upc, mpn, on_hand, committed, safety_buffer, price, status), then a row a listing">
          {(p) => <textarea {...p} rows={4} cols={60} value={csv} onInput={(e) => setCsv(e.currentTarget.value)} />}
        </Field>
        {["sku", "title", "upc", "mpn", "on_hand", "committed", "safety_buffer", "price", "status"].map((column) => (
          <FieldProblems key={column} error={error} name={column} />
        ))}
        <Problem error={error} />
        <div class="actions">
          <button type="submit" class="primary" aria-busy={busy}>
            Import
          </button>
          {said && (<span role="status" class="said">{said}</span>)}
        </div>
      </form>
    </Section>
  );
}
