// The role a member or an API client gets.
import { ROLES, type Role } from "./types";

export function RoleSelect(props: {
  id: string;
  value: Role;
  describedBy?: string | undefined;
  onChange: (role: Role) => void;
}) {
  return (
    <select
      id={props.id}
      value={props.value}
      aria-describedby={props.describedBy}
      onChange={(e) => props.onChange(e.currentTarget.value as Role)}
    >
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}
