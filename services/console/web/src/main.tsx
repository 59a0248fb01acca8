// The console's application: it restores the session from the refresh cookie when it loads,
// then shows the page the address names (signing in first when there is no session).
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { onSession, refreshSession, type Session, session } from "./api";
import { Frame, Title } from "./components";
import { type Location, match, navigate, useLocation } from "./router";
import { AcceptInvitation } from "./screens/AcceptInvitation";
import { AddContacts } from "./screens/AddContacts";
import { BroadcastReport } from "./screens/BroadcastReport";
import { Broadcasts, NewBroadcast } from "./screens/Broadcasts";
import { Collection, CollectionForm, Collections } from "./screens/Collections";
import { Contact } from "./screens/Contact";
import { Contacts } from "./screens/Contacts";
import { Fields } from "./screens/Fields";
import { FlowPage, Flows } from "./screens/Flows";
import { ImportProgress } from "./screens/ImportProgress";
import { Imports } from "./screens/Imports";
import { KeywordsScreen } from "./screens/Keywords";
import { Settings } from "./screens/Settings";
import { SignIn } from "./screens/SignIn";

function Page(props: { location: Location }) {
  const path = props.location.path;
  if (path === "/contacts") return <Contacts location={props.location} />;
  if (path === "/contacts/new") return <AddContacts />;
  const contact = match("/contacts/:id", path);
  if (contact?.id) return <Contact id={contact.id} />;
  if (path === "/collections") return <Collections />;
  if (path === "/collections/new") return <CollectionForm />;
  const edit = match("/collections/:id/edit", path);
  if (edit?.id) return <CollectionForm id={edit.id} />;
  const collection = match("/collections/:id", path);
  if (collection?.id) return <Collection id={collection.id} />;
  if (path === "/settings" || path.startsWith("/settings/")) return <Settings location={props.location} />;
  if (path === "/imports") return <Imports />;
  if (path === "/fields") return <Fields />;
  if (path === "/flows") return <Flows location={props.location} />;
  if (path === "/flows/keywords") return <KeywordsScreen />;
  const flow = match("/flows/:id", path);
  if (flow?.id) return <FlowPage id={flow.id} location={props.location} />;
  if (path === "/broadcasts") return <Broadcasts />;
  if (path === "/broadcasts/new") return <NewBroadcast location={props.location} />;
  const broadcast = match("/broadcasts/:id", path);
  if (broadcast?.id) return <BroadcastReport id={broadcast.id} />;
  const job = match("/imports/:id", path);
  if (job?.id) return <ImportProgress id={job.id} />;
  return (
    <section>
      <Title>Page not found</Title>
      <p>This page does not exist (yet).</p>
    </section>
  );
}

/** The page asked for before signing in, when it is a page of this application. */
function afterSignIn(next: string | null): string {
  if (!next) return "/contacts";
  const url = new URL(next, window.location.origin);
  if (url.origin !== window.location.origin || url.pathname === "/sign-in") return "/contacts";
  return url.pathname + url.search + url.hash;
}

function App() {
  const location = useLocation();
  const [current, setCurrent] = useState<Session | null>(session());
  const [restoring, setRestoring] = useState(true);

  useEffect(() => {
    const stop = onSession(setCurrent);
    void refreshSession().finally(() => setRestoring(false));
    return stop;
  }, []);

  useEffect(() => {
    if (restoring || location.path === "/invitation") return;
    if (!current && location.path !== "/sign-in") {
      navigate(`/sign-in?next=${encodeURIComponent(location.path + window.location.search)}`, true);
    } else if (current && (location.path === "/" || location.path === "/sign-in")) {
      // After signing in: the page that was asked for (only a path of this application).
      navigate(afterSignIn(location.params.get("next")), true);
    }
  }, [restoring, current, location.path]);

  if (location.path === "/invitation") return <AcceptInvitation />;
  if (restoring)
    return (
      <p class="loading" role="status">
        Loading…
      </p>
    );
  if (!current || location.path === "/sign-in") return <SignIn />;
  return (
    <Frame session={current} path={location.path}>
      <Page location={location} key={location.path} />
    </Frame>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
