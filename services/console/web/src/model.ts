// What the services answer, as far as the screens read it (the OpenAPI documents are complete).

export type ContactStatus = "active" | "archived" | "blocked" | "stopped";

export interface Contact {
  id: string;
  name: string | null;
  phone: string | null;
  secondary_phone: string | null;
  email: string | null;
  category: string | null;
  language: string | null;
  fields: Record<string, unknown>;
  status: ContactStatus;
  opt_in: {
    status?: string;
    method?: string | null;
    at?: string | null;
  } & Record<string, unknown>;
  groups: string[];
  created_at: string | null;
  updated_at: string | null;
  version: number;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Group {
  id: string;
  name: string;
  description: string | null;
  type: "manual" | "smart" | string;
  query: string | null;
  smart_status: string | null;
  blacklisted: boolean;
  staff: string[];
  member_count: number;
  created_at: string | null;
  version: number;
}

export interface Member {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  status: string;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: "admin" | "manager" | "staff" | null;
  status: string;
}

export interface ParsedQuery {
  query: string;
  allowed_in_smart_group: boolean;
  groups: string[];
  fields: string[];
}
