"""The console: the web application people run their programme in, and the one origin it talks
to. It holds no data of its own: it serves the built application, keeps the browser's refresh
token in a cookie the page's script cannot read, and routes `/v1/...` to the service that owns
each path, with the routing table the Kubernetes ingress uses (`shared/http/routing.py`)."""
