// What the settings screens read from the services (their OpenAPI documents are complete).

export type Role = "admin" | "manager" | "staff";
export const ROLES: Role[] = ["admin", "manager", "staff"];

export interface Organization {
  id: string;
  name: string | null;
  default_country: string | null;
  default_language: string | null;
  timezone: string;
  version: number;
}

export type ChannelType = "whatsapp_cloud" | "http" | "log";

export interface Channel {
  id: string;
  type: ChannelType;
  name: string;
  tps: number | null;
  pair_interval_s: number;
  config: Record<string, string>;
  secrets: Record<string, string>; // each one set, as "***"
  requires_opt_in: boolean;
  created_at: string;
  updated_at: string;
  version: number;
}

export type ParameterValue = string | { value?: string; fallback?: string | null };

export interface Template {
  id: string;
  name: string;
  category: string;
  variants: Record<string, string>;
  parameters: Record<string, ParameterValue>;
  created_at: string;
  updated_at: string;
  created_by: string;
  version: number;
}

export interface Member {
  id: string;
  email: string;
  name: string;
  role: Role | null;
  status: "active" | "deactivated" | "invited";
  last_sign_in_at: string | null;
}

export interface AddedMember {
  user: Member;
  invitation: string | null;
  invitation_expires_at: string | null;
}

export interface ApiClient {
  client_id: string;
  name: string;
  role: Role;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface MadeApiClient {
  client: ApiClient;
  client_secret: string;
}
