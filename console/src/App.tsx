import { useEffect, useState } from "preact/hooks";
import { onSession, session, signOut, type Session } from "./api/auth";
import { href, useRoute } from "./router";
import { SessionContext } from "./ui";
import { SignIn } from "./SignIn";
import { AttentionBadge, Overview } from "./screens/Overview";
import { Listings } from "./screens/Listings";
import { ListingPage } from "./screens/Listing";
import { Channels } from "./screens/Channels";
import { ChannelPage } from "./screens/Channel";
import { Jobs } from "./screens/Jobs";
import { JobPage } from "./screens/Job";
import { History } from "./screens/History";
import { DeadLetters } from "./screens/DeadLetters";
import { Settings } from "./screens/Settings";

const NAV: [string, string][] = [
  ["", "Overview"],
  ["listings", "Listings"],
  ["channels", "Channels"],
  ["jobs", "Jobs"],
  ["history", "History"],
  ["dead-letters", "Dead letters"],
  ["settings", "Settings"],
];

function Screen({ path, query }: { path: string[]; query: URLSearchParams }) {
  const [screen = "", id] = path;
  switch (screen) {
    case "":
      return <Overview />;
    case "listings":
      return id ? <ListingPage sku={id} /> : <Listings query={query} />;
    case "channels":
      return id ? <ChannelPage name={id} /> : <Channels query={query} />;
    case "jobs":
      return id ? <JobPage id={id} /> : <Jobs query={query} />;
    case "history":
      return <History sku={id ?? query.get("sku") ?? ""} query={query} />;
    case "dead-letters":
      return <DeadLetters />;
    case "settings":
      return <Settings />;
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>
            No screen at <code>{location.hash}</code>: go to the <a href="#/">Overview</a>.
          </p>
        </>
      );
  }
}

export function App() {
  const [signedIn, setSignedIn] = useState<Session | null>(session);
  const route = useRoute();
  useEffect(() => onSession(setSignedIn), []);
  useEffect(() => {
    const [screen = ""] = route.path;
    const name = NAV.find(([path]) => path === screen)?.[1] ?? "Tidemark";
    document.title = `${name} · Tidemark console`;
  }, [route]);
  if (!signedIn) return <SignIn />;
  const here = route.path[0] ?? "";
  return (
    <SessionContext.Provider value={signedIn}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header>
        <a class="brand" href="#/">
          Tidemark
        </a>
        <AttentionBadge />
        <nav aria-label="Screens">
          <ul>
            {NAV.map(([path, name]) => (
              <li key={path}>
                <a href={href(...(path ? [path] : []))} aria-current={here === path ? "page" : undefined}>
                  {name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {signedIn.username} <span class={`role role-${signedIn.role}`}>{signedIn.role}</span>
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      {signedIn.role !== "operator" && (
        <p class="readonly-note" role="note">
          You are signed in as a {signedIn.role}: you can read everything, and the API refuses any change.
        </p>
      )}
      <main id="main" tabIndex={-1}>
        <Screen path={route.path} query={route.query} />
      </main>
    </SessionContext.Provider>
  );
}
