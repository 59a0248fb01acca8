// Settings: the organisation's defaults, its channels, its message templates, its members (with
// their one-time invitations) and its API clients, each a section of its own under `/settings`,
// with a navigation between them. The services decide who may change what: a refusal (a
// manager changing a channel, say) is shown with the service's message.
import { Link, Title } from "../components";
import { type Location, match } from "../router";
import { ChannelForm } from "./settings/ChannelForm";
import { Channels } from "./settings/Channels";
import { Clients } from "./settings/Clients";
import { OrganizationSettings } from "./settings/Organization";
import { TemplateForm } from "./settings/TemplateForm";
import { Templates } from "./settings/Templates";
import { Users } from "./settings/Users";

const SECTIONS = [
  { href: "/settings/organization", label: "Organisation" },
  { href: "/settings/channels", label: "Channels" },
  { href: "/settings/templates", label: "Templates" },
  { href: "/settings/users", label: "Users" },
  { href: "/settings/clients", label: "API clients" },
];

function Section(props: { path: string; location: Location }) {
  const path = props.path;
  if (path === "/settings" || path === "/settings/organization") return <OrganizationSettings />;
  if (path === "/settings/channels") return <Channels location={props.location} />;
  if (path === "/settings/channels/new") return <ChannelForm />;
  const channel = match("/settings/channels/:id", path);
  if (channel?.id) return <ChannelForm id={channel.id} />;
  if (path === "/settings/templates") return <Templates location={props.location} />;
  if (path === "/settings/templates/new") return <TemplateForm />;
  const template = match("/settings/templates/:id", path);
  if (template?.id) return <TemplateForm id={template.id} />;
  if (path === "/settings/users") return <Users />;
  if (path === "/settings/clients") return <Clients />;
  return (
    <section>
      <Title>Settings page not found</Title>
      <p>There is no such settings page: choose a section.</p>
    </section>
  );
}

export function Settings(props: { location: Location }) {
  const path = props.location.path.replace(/\/+$/, "") || "/settings";
  const current = path === "/settings" ? "/settings/organization" : path;
  return (
    <div class="settings-layout">
      <nav class="settings-nav" aria-label="Settings sections">
        <p class="settings-nav-title" aria-hidden="true">
          Settings
        </p>
        <ul class="settings-nav-list">
          {SECTIONS.map((s) => (
            <li key={s.href}>
              <Link href={s.href} current={current === s.href || current.startsWith(`${s.href}/`)}>
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div class="settings-body">
        <Section path={path} location={props.location} />
      </div>
    </div>
  );
}
