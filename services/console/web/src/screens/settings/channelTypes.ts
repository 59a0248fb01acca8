// What each channel type holds, as the dispatcher declares it
// (services/dispatcher/domain/channels.py): its defaults, its settings and its secrets.
import type { ChannelType } from "./types";

export interface Setting {
  key: string;
  label: string;
  required: boolean;
  hint?: string;
  url?: boolean;
}

export interface ChannelKind {
  type: ChannelType;
  label: string;
  about: string;
  tps: number | null; // null: unlimited
  pairInterval: number;
  optIn: boolean;
  config: Setting[];
  secrets: Setting[];
}

export const CHANNEL_KINDS: ChannelKind[] = [
  {
    type: "whatsapp_cloud",
    label: "WhatsApp Cloud API",
    about: "A WhatsApp Business number, through Meta's Cloud API.",
    tps: 80,
    pairInterval: 6,
    optIn: true,
    config: [
      { key: "phone_number_id", label: "Phone number ID", required: true, hint: "From Meta's WhatsApp Manager." },
      {
        key: "base_url",
        label: "Graph API address",
        required: false,
        url: true,
        hint: "Leave empty for https://graph.facebook.com/v21.0.",
      },
    ],
    secrets: [
      { key: "access_token", label: "Access token", required: true, hint: "The token messages are sent with." },
      { key: "app_secret", label: "App secret", required: true, hint: "Checks that webhooks come from Meta." },
      {
        key: "verify_token",
        label: "Webhook verify token",
        required: true,
        hint: "The token you give Meta when you register the webhook.",
      },
    ],
  },
  {
    type: "http",
    label: "HTTP gateway",
    about: "An SMS gateway (or any service) that takes each message as a signed HTTP request.",
    tps: 50,
    pairInterval: 0,
    optIn: false,
    config: [
      {
        key: "url",
        label: "Gateway URL",
        required: true,
        url: true,
        hint: "Each message is POSTed here, signed with the signing key (X-Roster-Signature).",
      },
    ],
    secrets: [
      {
        key: "signing_key",
        label: "Signing key",
        required: true,
        hint: "Signs every request, and the status reports the gateway sends back.",
      },
    ],
  },
  {
    type: "log",
    label: "Log (development)",
    about: "Messages are written to the dispatcher's log, not sent: for trying things out.",
    tps: null,
    pairInterval: 0,
    optIn: false,
    config: [],
    secrets: [],
  },
];

export function kindOf(type: string): ChannelKind | undefined {
  return CHANNEL_KINDS.find((k) => k.type === type);
}

export function rate(tps: number | null): string {
  return tps === null ? "unlimited" : `${tps} per second`;
}
