// Files the services answer (exports, templates, error reports): fetched with the access token,
// then saved under the name the service gives.
import { call } from "./api";

export async function download(path: string, fallback: string): Promise<void> {
  const response = await call("GET", path, { headers: { Accept: "*/*" } });
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename\*?="?(?:UTF-8'')?([^";]+)"?/i.exec(disposition)?.[1] ?? fallback;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = decodeURIComponent(name);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
