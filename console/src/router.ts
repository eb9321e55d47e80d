// Hash routing: every screen has a URL (#/jobs/ID, #/listings?sku_prefix=A) that works from a shared
// link, on the local API's origin and from S3 and CloudFront alike (no server rewrite needed).
import { useEffect, useState } from "preact/hooks";

export interface Route {
  path: string[]; // "#/jobs/abc" -> ["jobs", "abc"]
  query: URLSearchParams;
}

function current(): Route {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path = "", query = ""] = hash.split("?", 2);
  return { path: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const changed = () => setRoute(current());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

/** The href of a screen: href("jobs", id) -> "#/jobs/<id>"; query values left empty are dropped. */
export function href(...parts: (string | Record<string, string | undefined>)[]): string {
  const segments: string[] = [];
  let query = "";
  for (const part of parts) {
    if (typeof part === "string") segments.push(encodeURIComponent(part));
    else {
      const given = Object.entries(part).filter((e): e is [string, string] => !!e[1]);
      if (given.length) query = `?${new URLSearchParams(given).toString()}`;
    }
  }
  return `#/${segments.join("/")}${query}`;
}

export function go(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  dispatchEvent(new HashChangeEvent("hashchange"));
}
