# Boot harness stand-in for Logstash (tests/boot/sites/README.md): what
# Logstash reads at its start and does first, and nothing of its event
# processing. With --path.settings it
#  - reads logstash.yml (flat or nested keys) and pipelines.yml; path.data
#    must be writable (its uuid is written there once, as Logstash does), and
#    a persisted queue gets its directory per pipeline under path.queue
#    (default <path.data>/queue) with a checkpoint, as Logstash makes them;
#  - parses each pipeline's configuration (every file path.config matches,
#    in order) by Logstash's grammar: sections, plugins, attributes with
#    strings, numbers, barewords, arrays and hashes, comments (conditionals
#    are refused as not modelled), then refuses as Logstash does a plugin
#    that is not installed (logstash-plugin's list), a setting the plugin does
#    not have, a missing required one, and a ${VAR} that is neither in the
#    environment nor given a default;
#  - listens on each Beats input's host and port, with TLS when the input
#    turns it on (its certificate and key must load and match), and accepts
#    connections without speaking the Lumberjack protocol;
#  - for each OpenSearch output, checks what the domain would on the first
#    bulk request (the harness's domain stand-in, sites/opensearch): the user
#    and password (401), and a role mapped to the user whose index patterns and
#    actions cover today's index (403); like Logstash it logs the error and
#    keeps running.
import datetime
import fnmatch
import glob
import hashlib
import json
import os
import re
import socket
import ssl
import sys
import threading

import yaml


def fail(message):
    print(f"[FATAL][logstash.runner] {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def log(level, where, message):
    print(f"[{level}][{where}] {message}", flush=True)


arguments = sys.argv[1:]
if len(arguments) != 2 or arguments[0] != "--path.settings":
    fail("the harness models only --path.settings <dir>")
settings_dir = arguments[1]


def flatten(document, prefix=""):
    flat = {}
    for key, value in (document or {}).items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


with open(os.path.join(settings_dir, "logstash.yml")) as source:
    settings = flatten(yaml.safe_load(source))
with open(os.path.join(settings_dir, "pipelines.yml")) as source:
    pipelines = yaml.safe_load(source)

data = settings.get("path.data", "/usr/share/logstash/data")
if not os.path.isdir(data) or not os.access(data, os.W_OK):
    fail(f"Path \"{data}\" must be a writable directory. It is not writable.")
uuid_file = os.path.join(data, "uuid")
if not os.path.exists(uuid_file):
    with open(uuid_file, "w") as out:
        out.write(hashlib.sha256(os.urandom(16)).hexdigest()[:32])
    log("INFO", "logstash.runner", f"a new instance: wrote {uuid_file}")


# --- the configuration grammar ------------------------------------------------
class Parser:
    token = re.compile(
        r'\s+|#[^\n]*|"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|=>|[{}\[\],]|-?\d+(?:\.\d+)?(?![\w.])|[A-Za-z_@][\w@.-]*'
    )

    def __init__(self, text, name):
        self.tokens, position = [], 0
        while position < len(text):
            match = self.token.match(text, position)
            if not match:
                line = text.count("\n", 0, position) + 1
                fail(f"Expected one of [ \\t\\r\\n], \"#\", \"input\", \"filter\", \"output\" at line {line} of {name}")
            if not match.group(0).isspace() and not match.group(0).startswith("#"):
                self.tokens.append(match.group(0))
            position = match.end()
        self.at, self.name = 0, name

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            fail(f"{self.name}: expected {expected or 'more'} but found {token or 'the end'}")
        self.at += 1
        return token

    def config(self):
        sections = []
        while self.peek() is not None:
            kind = self.take()
            if kind not in ("input", "filter", "output"):
                fail(f"{self.name}: expected input, filter or output but found {kind}")
            self.take("{")
            while self.peek() != "}":
                if self.peek() in ("if", "else"):
                    fail(f"{self.name}: conditionals are not modelled by the harness")
                sections.append((kind, *self.plugin()))
            self.take("}")
        return sections

    def plugin(self):
        name = self.take()
        self.take("{")
        attributes = {}
        while self.peek() != "}":
            key = self.take()
            self.take("=>")
            attributes[key] = self.value()
        self.take("}")
        return name, attributes

    def value(self):
        token = self.peek()
        if token == "[":
            self.take()
            items = []
            while self.peek() != "]":
                items.append(self.value())
                if self.peek() == ",":
                    self.take()
            self.take("]")
            return items
        if token == "{":
            self.take()
            entries = {}
            while self.peek() != "}":
                key = self.value()
                self.take("=>")
                entries[key] = self.value()
            self.take("}")
            return entries
        token = self.take()
        if token[0] in "\"'":
            return token[1:-1]
        if re.fullmatch(r"-?\d+(\.\d+)?", token):
            return float(token) if "." in token else int(token)
        return token


def substitute(value):
    if isinstance(value, list):
        return [substitute(item) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item) for key, item in value.items()}
    if not isinstance(value, str):
        return value

    def replace(match):
        name, _, default = match.group(1).partition(":")
        if name in os.environ:
            return os.environ[name]
        if default:
            return default
        fail(
            f"Cannot evaluate `${{{name}}}`. Replacement variable `{name}` is not defined in a Logstash "
            "secret store or an environment entry and there is no default value given."
        )

    return re.sub(r"\$\{([^}]+)\}", replace, value)


# The settings of the plugins the harness knows: (required, allowed).
PLUGINS = {
    ("input", "beats"): (
        {"port"},
        {"port", "host", "id", "ssl_enabled", "ssl_certificate", "ssl_key", "ssl_client_authentication",
         "ssl_certificate_authorities", "client_inactivity_timeout", "codec", "tags", "type"},
    ),
    ("output", "opensearch"): (
        set(),
        {"hosts", "user", "password", "index", "manage_template", "template_name", "ssl", "cacert",
         "ssl_certificate_verification", "id", "action", "document_id", "ecs_compatibility"},
    ),
}
with open("/usr/share/logstash/harness-plugins") as source:
    installed = set(source.read().split())

today = datetime.datetime.now(datetime.timezone.utc)
for pipeline in pipelines:
    pipeline_id = pipeline["pipeline.id"]
    files = sorted(glob.glob(pipeline["path.config"]))
    if not files:
        fail(f"No config files found in path {pipeline['path.config']}")
    text = ""
    for file in files:
        with open(file) as source:
            text += source.read() + "\n"
    plugins = Parser(text, ", ".join(files)).config()
    for kind, name, attributes in plugins:
        if f"logstash-{kind}-{name}" not in installed:
            fail(
                f"Couldn't find any {kind} plugin named '{name}'. Are you sure this is correct? Trying to load the "
                f"{name} {kind} plugin resulted in this error: Unable to load the requested plugin named {name} of type {kind}."
            )
        if (kind, name) not in PLUGINS:
            fail(f"the harness does not model the {name} {kind} plugin")
        required, allowed = PLUGINS[(kind, name)]
        for key in attributes:
            if key not in allowed:
                fail(f"Unknown setting '{key}' for {name}")
        for key in required - set(attributes):
            fail(f"Missing a required setting for the {name} {kind} plugin: {kind} {{ {name} {{ {key} => ... }} }}")
        attributes.update(substitute(attributes))

    if settings.get("queue.type") == "persisted":
        queue = os.path.join(settings.get("path.queue", os.path.join(data, "queue")), pipeline_id)
        if not re.fullmatch(r"\d+(kb|mb|gb|tb|pb)", str(settings.get("queue.max_bytes", "1024mb")).lower()):
            fail(f"queue.max_bytes {settings.get('queue.max_bytes')} is not a byte size")
        os.makedirs(queue, exist_ok=True)
        checkpoint = os.path.join(queue, "checkpoint.head")
        if not os.path.exists(checkpoint):
            with open(checkpoint, "wb") as out:
                out.write(b"\0" * 34)
        log("INFO", "org.logstash.ackedqueue.Queue", f"pipeline {pipeline_id}: persisted queue in {queue}")

    for kind, name, attributes in plugins:
        if (kind, name) == ("input", "beats"):
            listener = socket.create_server((attributes.get("host", "0.0.0.0"), int(attributes["port"])))
            if str(attributes.get("ssl_enabled", "false")) == "true":
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(attributes["ssl_certificate"], attributes["ssl_key"])
                listener = context.wrap_socket(listener, server_side=True)
                log("INFO", "logstash.inputs.beats", f"TLS with {attributes['ssl_certificate']}")

            def serve(server=listener):
                while True:
                    try:
                        connection, _ = server.accept()
                        connection.close()
                    except (OSError, ssl.SSLError):
                        pass

            threading.Thread(target=serve, daemon=True).start()
            log("INFO", "logstash.inputs.beats", f"Starting input listener {{:address=>\"{attributes.get('host', '0.0.0.0')}:{attributes['port']}\"}}")
        elif (kind, name) == ("output", "opensearch"):
            index = re.sub(r"%\{\+([^}]+)\}", lambda m: today.strftime(
                m.group(1).replace("YYYY", "%Y").replace("MM", "%m").replace("dd", "%d")), attributes.get("index", "logstash-%{+yyyy.MM.dd}"))
            user, password = attributes.get("user", ""), attributes.get("password", "")
            for host_url in attributes.get("hosts", []):
                host = re.sub(r"^https?://|:\d+/?$", "", host_url)
                domain = os.path.join("/var/lib/harness-opensearch", host)

                def stored(kind_, name_):
                    try:
                        with open(os.path.join(domain, kind_, name_)) as record:
                            return json.load(record)
                    except FileNotFoundError:
                        return None

                account = stored("internalusers", user)
                if not account or account["hash"] != hashlib.sha256((account["salt"] + password).encode()).hexdigest():
                    log("ERROR", "logstash.outputs.opensearch", f"Attempted to resurrect connection to dead OpenSearch instance, but got an error {{:url=>\"{host_url}\", :message=>\"Got response code '401' contacting OpenSearch at URL '{host_url}'\"}}")
                    continue
                allowed = False
                for mapping in glob.glob(os.path.join(domain, "rolesmapping", "*")):
                    with open(mapping) as record:
                        if user not in json.load(record).get("users", []):
                            continue
                    role = stored("roles", os.path.basename(mapping)) or {}
                    for permission in role.get("index_permissions", []):
                        if any(fnmatch.fnmatchcase(index, pattern) for pattern in permission.get("index_patterns", [])) and {
                            "create_index", "write"
                        } <= set(permission.get("allowed_actions", [])):
                            allowed = True
                if allowed:
                    log("INFO", "logstash.outputs.opensearch", f"Connected to OpenSearch at {host_url} as {user}; may write {index}")
                else:
                    log("ERROR", "logstash.outputs.opensearch", f"Encountered a retryable error (403: no permissions for [indices:data/write/bulk] and User [name={user}]) on {index}")
    log("INFO", "logstash.javapipeline", f"Pipeline started {{\"pipeline.id\"=>\"{pipeline_id}\"}}")

threading.Event().wait()
