// Master locations (Settings), a listing's stock per location and its bundle (a listing's page), and a
// channel's location map (a channel's page): shared/console_locations.py.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { count, time } from "../format";
import { href } from "../router";
import { Action, Field, Problem, Section, useLoad, useSubmit } from "../ui";

type LocationView = Schemas["LocationView"];
type LocationMapView = Schemas["LocationMapView"];
type ListingStock = Schemas["ListingStock"];

export function LocationsSection() {
  const shown = useLoad(() => ok<LocationView[]>(api.GET("/v1/locations")), []);
  const [name, setName] = useState("");
  const [said, setSaid] = useState("");
  const { busy, error, onSubmit } = useSubmit(
    () => ok<LocationView>(api.POST("/v1/locations", { body: { name: name.trim() } })),
    (added) => {
      setSaid(`Location ${added.name} added`);
      setName("");
      void shown.reload();
    },
  );
  return (
    <Section title="Locations">
      <p class="hint">Stock is held per location; a listing's balance sums them. `default` holds what no other location does.</p>
      <Problem error={shown.error} />
      <div class="table-wrap">
        <table aria-label="Master locations">
          <thead>
            <tr>
              <th scope="col">Location</th>
              <th scope="col">Added</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(shown.data ?? []).map((location) => (
              <tr key={location.name}>
                <th scope="row">{location.name}</th>
                <td>{location.created_at ? time(location.created_at) : "always there"}</td>
                <td>
                  {location.created_at && (
                    <Action
                      label={`Remove ${location.name}`}
                      kind="danger"
                      confirm={`Remove location ${location.name}? It must hold no stock.`}
                      run={() => ok(api.DELETE("/v1/locations/{name}", { params: { path: { name: location.name } } }))}
                      done={() => `${location.name} removed`}
                      after={() => void shown.reload()}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form aria-label="Add a location" onSubmit={(e) => (setSaid(""), onSubmit(e))} class="filters" noValidate>
        <Field label="New location" name="name" error={error} hint="lower-case letters, digits, '-' or '_'">
          {(p) => <input {...p} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <div class="actions">
          <button type="submit" class="primary" aria-busy={busy}>
            Add location
          </button>
          {said && (<span role="status" class="said">{said}</span>)}
        </div>
      </form>
    </Section>
  );
}

export function StockSection({ sku, version }: { sku: string; version: string }) {
  const shown = useLoad(() => ok<ListingStock>(api.GET("/v1/listings/{sku}/stock", { params: { path: { sku } } })), [sku, version]);
  const stock = shown.data;
  return (
    <Section title="Stock per location">
      <Problem error={shown.error} />
      {stock && (
        <>
          <div class="table-wrap">
            <table aria-label={`Stock of ${sku} per location`}>
              <thead>
                <tr>
                  <th scope="col">Location</th>
                  <th scope="col">On hand</th>
                  <th scope="col">Committed</th>
                </tr>
              </thead>
              <tbody>
                {stock.locations.map((row) => (
                  <tr key={row.location}>
                    <th scope="row">{row.location}</th>
                    <td>{count(row.on_hand)}</td>
                    <td>{count(row.committed)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {stock.bundle.is_bundle && (
            <>
              <h3>Bundle: makes {count(stock.bundle.balance)}</h3>
              <p class="hint">A bundle has no stock of its own: its quantity is what its components make.</p>
              <div class="table-wrap">
                <table aria-label={`Components of ${sku}`}>
                  <thead>
                    <tr>
                      <th scope="col">Component</th>
                      <th scope="col">Units</th>
                      <th scope="col">Sellable</th>
                      <th scope="col">Makes</th>
                    </tr>
                  </thead>
                  <tbody>
                    {stock.bundle.components.map((row) => (
                      <tr key={row.sku}>
                        <th scope="row">
                          <a href={href("listings", row.sku)}>{row.sku}</a>
                          {row.sku === stock.bundle.limited_by && <strong> · limits it</strong>}
                        </th>
                        <td>{count(row.units)}</td>
                        <td>{count(row.sellable)}</td>
                        <td>{count(row.makes)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </>
      )}
    </Section>
  );
}

export function LocationMapSection({ channel }: { channel: string }) {
  const shown = useLoad(() => ok<LocationMapView>(api.GET("/v1/channels/{name}/locations", { params: { path: { name: channel } } })), [channel]);
  const [value, setValue] = useState<Record<string, string>>({});
  const [said, setSaid] = useState("");
  const draftOf = (map: LocationMapView) =>
    Object.fromEntries(Object.keys(map.store_locations).map((id) => [id, (map.locations[id] ?? []).join(", ")]));
  const filledFor = useRef("");
  useEffect(() => {
    // the draft is filled once per channel: a reload after a save must not undo what was typed since
    if (shown.data && filledFor.current !== channel) {
      filledFor.current = channel;
      setValue(draftOf(shown.data));
    }
  }, [shown.data, channel]);
  const { busy, error, onSubmit } = useSubmit(
    () => {
      const body = Object.fromEntries(
        Object.entries(value)
          .map(([id, text]) => [id, text.split(",").map((n) => n.trim()).filter(Boolean)] as const)
          .filter(([, names]) => names.length > 0),
      );
      return ok<LocationMapView>(api.PUT("/v1/channels/{name}/locations", { params: { path: { name: channel } }, body: { map: body } }));
    },
    (saved) => {
      setSaid(saved.mapped ? "Location map saved" : "No map: every location feeds the channel");
      setValue(draftOf(saved));
      void shown.reload();
    },
  );
  const map = shown.data;
  return (
    <Section title="Locations">
      <Problem error={shown.error} />
      {map && (
        <form aria-label="Location map" onSubmit={(e) => (setSaid(""), onSubmit(e))} noValidate>
          <p class="hint">
            For each of the store's locations, the master locations that feed it, in the order an order takes from them (comma separated).{" "}
            {map.mapped ? "A location fed by nothing is left alone." : "No map yet: every master location feeds the channel."}
          </p>
          {Object.entries(map.store_locations).map(([id, name]) => (
            <Field key={id} label={`${name} (${id})`} name={`map.${id}`} error={error}>
              {(p) => <input {...p} value={value[id] ?? ""} onInput={(e) => setValue({ ...value, [id]: e.currentTarget.value })} />}
            </Field>
          ))}
          <Problem error={error} />
          <div class="actions">
            <button type="submit" class="primary" aria-busy={busy}>
              Save location map
            </button>
            {said && (<span role="status" class="said">{said}</span>)}
          </div>
        </form>
      )}
    </Section>
  );
}
