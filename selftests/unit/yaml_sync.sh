#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test: include/netlink/iketcp.yaml (the YNL spec of the "iketcp"
# generic netlink family) and include/uapi/linux/iketcp.h agree.  Checks
# the family name and version, the mcast group, every command, every
# attribute of every set (name and value), every enum value (name and
# value), the counter names in the comments of enum iketcp_counter, the
# constants, and the attribute types the header's comments state.
# Prints KTAP; exits 1 if a check failed.
#
# usage: selftests/unit/yaml_sync.sh [HEADER [YAML]]
# Needs python3 with PyYAML (Debian: python3-yaml).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
header=${1:-$repo/include/uapi/linux/iketcp.h}
spec=${2:-$repo/include/netlink/iketcp.yaml}

exec python3 - "$header" "$spec" <<'PYEOF'
import re
import sys

header_path, spec_path = sys.argv[1], sys.argv[2]
results = []            # (ok, name, [diagnostics])


def check(name, problems):
    results.append((not problems, name, problems))


def finish():
    print("KTAP version 1")
    print("1..%d" % len(results))
    for i, (ok, name, diag) in enumerate(results, 1):
        for d in diag:
            print("# %s: %s" % (name, d))
        print("%s %d %s" % ("ok" if ok else "not ok", i, name))
    failed = sum(1 for r in results if not r[0])
    print("# yaml_sync: %d/%d passed" % (len(results) - failed, len(results)))
    sys.exit(1 if failed else 0)


try:
    import yaml
except ImportError:
    check("load_pyyaml", ["python3 has no PyYAML (Debian: python3-yaml)"])
    finish()

# ---- the header ------------------------------------------------------------

try:
    text = open(header_path).read()
except OSError as e:
    check("load_header", [str(e)])
    finish()


def strip_block_comments(s):
    return re.sub(r"/\*.*?\*/", " ", s, flags=re.S)


# #define NAME VALUE (the value's trailing comment dropped)
defines = {}
for m in re.finditer(r"^#define\s+(\w+)[ \t]+(.+?)\s*(?:/\*.*)?$", text, re.M):
    defines[m.group(1)] = m.group(2).strip()


def c_eval(expr, depth=0):
    """Evaluate a C integer constant expression over known defines."""
    if depth > 20:
        raise ValueError("define loop in %r" % expr)
    s = expr
    for name in sorted(set(re.findall(r"[A-Za-z_]\w*", s)), key=len,
                       reverse=True):
        if name in defines:
            s = re.sub(r"\b%s\b" % name,
                       "(%d)" % c_eval(defines[name], depth + 1), s)
    s = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", s)
    if not re.fullmatch(r"[\s0-9a-fA-FxX()+\-*/<>|&~]*", s):
        raise ValueError("cannot evaluate %r" % expr)
    return int(eval(s.replace("/", "//"), {"__builtins__": {}}, {}))


def string_define(name):
    v = defines.get(name, "")
    m = re.fullmatch(r'"(.*)"', v)
    return m.group(1) if m else None


# enum NAME { ENTRY [= value], /* comment */ ... };  only at line start, so
# the documentation comment at the top of the file does not count.
enums = {}           # name -> list of (ENTRY, value, comment)
for m in re.finditer(r"^enum\s+(\w+)\s*\{(.*?)\};", text, re.M | re.S):
    entries, value = [], -1
    body = m.group(2)
    # Join each entry with the comment that follows it on its line.
    for line in body.split("\n"):
        comment = ""
        cm = re.search(r"/\*(.*?)\*/", line)
        if cm:
            comment = cm.group(1).strip()
        code = strip_block_comments(line).strip()
        if not code:
            continue
        for part in [p.strip() for p in code.split(",") if p.strip()]:
            em = re.fullmatch(r"(\w+)\s*(?:=\s*(.+))?", part)
            if not em:
                raise SystemExit("cannot parse enum %s entry %r"
                                 % (m.group(1), part))
            value = c_eval(em.group(2)) if em.group(2) else value + 1
            entries.append((em.group(1), value, comment))
    enums[m.group(1)] = entries


def real_entries(enum):
    """Entries without the __FOO_MAX sentinel."""
    return [(n, v, c) for n, v, c in enums.get(enum, [])
            if not n.startswith("__")]


# ---- the spec --------------------------------------------------------------

try:
    spec = yaml.safe_load(open(spec_path))
except (OSError, yaml.YAMLError) as e:
    check("load_yaml", [str(e)])
    finish()
check("load", [] if isinstance(spec, dict) else ["spec is not a mapping"])
if not isinstance(spec, dict):
    finish()


def c_upper(s):
    return s.upper().replace("-", "_")


definitions = {d["name"]: d for d in spec.get("definitions", [])}
attr_sets = {s["name"]: s for s in spec.get("attribute-sets", [])}


def yaml_enum_entries(d):
    """(C name, value) of a YNL enum definition, as YNL generates them."""
    prefix = d.get("name-prefix", "%s-%s-" % (spec["name"], d["name"]))
    value = d.get("value-start", 0)
    out = []
    for e in d.get("entries", []):
        if isinstance(e, dict):
            name = e["name"]
            value = e.get("value", value)
        else:
            name = e
        out.append((c_upper(prefix + name), value))
        value += 1
    return out


def yaml_set_attrs(s):
    """(C name, value, attr) of an attribute set, values as YNL numbers."""
    prefix = s.get("name-prefix", "%s-a-%s-" % (spec["name"], s["name"]))
    value = 1
    out = []
    for a in s.get("attributes", []):
        value = a.get("value", value)
        out.append((c_upper(prefix + a["name"]), value, a))
        value += 1
    return out


def compare(name, c_list, y_list):
    """Both lists of (NAME, value): same names, same values, same order."""
    p = []
    c_map, y_map = dict(c_list), dict(y_list)
    for n, v in c_list:
        if n not in y_map:
            p.append("%s = %d is in the header, not in the YAML" % (n, v))
        elif y_map[n] != v:
            p.append("%s: header %d, YAML %d" % (n, v, y_map[n]))
    for n, v in y_list:
        if n not in c_map:
            p.append("%s = %d is in the YAML, not in the header" % (n, v))
    if len(set(v for _, v in y_list)) != len(y_list):
        p.append("duplicate values in the YAML")
    check(name, p)


# ---- family, version, group ------------------------------------------------

p = []
if spec.get("name") != string_define("IKETCP_GENL_NAME"):
    p.append("name %r, header IKETCP_GENL_NAME %r"
             % (spec.get("name"), string_define("IKETCP_GENL_NAME")))
if spec.get("protocol") != "genetlink-legacy":
    p.append("protocol %r, want genetlink-legacy" % spec.get("protocol"))
for key, define in (("c-family-name", "IKETCP_GENL_NAME"),
                    ("c-version-name", "IKETCP_GENL_VERSION")):
    if c_upper(spec.get(key, "")) != define:
        p.append("%s %r does not name %s" % (key, spec.get(key), define))
check("family_name", p)

p = []
try:
    if spec.get("version", 1) != c_eval(defines["IKETCP_GENL_VERSION"]):
        p.append("version %r, header %s" % (spec.get("version", 1),
                                            defines["IKETCP_GENL_VERSION"]))
except (KeyError, ValueError) as e:
    p.append("IKETCP_GENL_VERSION: %s" % e)
check("family_version", p)

groups = [g["name"] for g in spec.get("mcast-groups", {}).get("list", [])]
mc_defines = {k: string_define(k) for k in defines
              if k.startswith("IKETCP_MCGRP_")}
p = []
if sorted(groups) != sorted(v for v in mc_defines.values() if v):
    p.append("YAML groups %s, header %s" % (groups, mc_defines))
for op in spec.get("operations", {}).get("list", []):
    if "mcgrp" in op and op["mcgrp"] not in groups:
        p.append("operation %s sends to unknown group %s"
                 % (op["name"], op["mcgrp"]))
check("mcast_groups", p)

# ---- commands --------------------------------------------------------------

ops = spec.get("operations", {})
op_prefix = ops.get("name-prefix", "%s-cmd-" % spec["name"])
y_cmds, value = [], 1
for op in ops.get("list", []):
    value = op.get("value", value)
    y_cmds.append((c_upper(op_prefix + op["name"]), value))
    value += 1
compare("commands", [(n, v) for n, v, _ in real_entries("iketcp_cmd")],
        y_cmds)

p = []
for op in ops.get("list", []):
    s = attr_sets.get(op.get("attribute-set", ""), None)
    if op.get("attribute-set") and not s:
        p.append("%s: unknown attribute-set %s"
                 % (op["name"], op["attribute-set"]))
        continue
    names = {a["name"] for a in s.get("attributes", [])} if s else set()
    for mode in ("do", "dump", "event"):
        blocks = op.get(mode) or {}
        parts = [blocks] if mode == "event" else \
            [blocks.get(k) or {} for k in ("request", "reply")]
        for part in parts:
            for a in part.get("attributes", []) or []:
                if a not in names:
                    p.append("%s %s: no attribute %s in set %s"
                             % (op["name"], mode, a, op["attribute-set"]))
check("operations_use_known_attributes", p)

# ---- attribute sets --------------------------------------------------------

SET_ENUMS = {
    "iketcp": "iketcp_attr",
    "sock": "iketcp_sock_attr",
    "sa": "iketcp_sa_attr",
    "config": "iketcp_config_attr",
}
for set_name, enum in SET_ENUMS.items():
    if set_name not in attr_sets:
        check("attribute_set_" + set_name, ["no attribute set %s" % set_name])
        continue
    compare("attribute_set_" + set_name,
            [(n, v) for n, v, _ in real_entries(enum)],
            [(n, v) for n, v, _ in yaml_set_attrs(attr_sets[set_name])])

# Every other set is a subset, or the counters set (checked below).
p = []
for name, s in attr_sets.items():
    if name in SET_ENUMS or name == "counters":
        continue
    base = s.get("subset-of")
    if base not in attr_sets:
        p.append("set %s maps to no enum of the header and is no subset"
                 % name)
        continue
    known = {a["name"] for a in attr_sets[base]["attributes"]}
    for a in s.get("attributes", []):
        if a["name"] not in known:
            p.append("subset %s: %s not in %s" % (name, a["name"], base))
check("attribute_subsets", p)

# Nested and enum references resolve.
p = []
for name, s in attr_sets.items():
    for a in s.get("attributes", []):
        if "nested-attributes" in a and a["nested-attributes"] not in attr_sets:
            p.append("%s.%s nests unknown set %s"
                     % (name, a["name"], a["nested-attributes"]))
        if "enum" in a and a["enum"] not in definitions:
            p.append("%s.%s uses unknown enum %s"
                     % (name, a["name"], a["enum"]))
        chk = a.get("checks", {}) or {}
        for k in ("min", "max"):
            if isinstance(chk.get(k), str) and chk[k] not in definitions:
                p.append("%s.%s check %s names unknown const %s"
                         % (name, a["name"], k, chk[k]))
check("references_resolve", p)

# Types stated in the header's comments ("/* u32 */", "/* nest, ... */").
C_TYPES = {"u8", "u16", "u32", "u64", "binary", "flag", "nest"}
p = []
for set_name, enum in SET_ENUMS.items():
    if set_name not in attr_sets:
        continue
    y = {n: a for n, _, a in yaml_set_attrs(attr_sets[set_name])}
    for n, _, comment in real_entries(enum):
        m = re.match(r"(\w+)", comment)
        if not m or m.group(1) not in C_TYPES or n not in y:
            continue
        if y[n].get("type") != m.group(1):
            p.append("%s: header says %s, YAML type %s"
                     % (n, m.group(1), y[n].get("type")))
        if "network byte order" in comment and \
                y[n].get("byte-order") != "big-endian":
            p.append("%s: network byte order, YAML not big-endian" % n)
check("attribute_types", p)

# ---- enums -----------------------------------------------------------------

ENUM_DEFS = {
    "iketcp_role": "role",
    "iketcp_framing": "framing",
    "iketcp_dir": "dir",
    "iketcp_encap": "encap",
    "iketcp_event": "event",
    "iketcp_counter": "counter",
}
# Enums of the header that are not netlink (the socket option names) or are
# covered as commands and attribute sets above.
NOT_NETLINK = {"iketcp_sockopt"}
covered = set(ENUM_DEFS) | set(SET_ENUMS.values()) | {"iketcp_cmd"} | \
    NOT_NETLINK
check("every_header_enum_covered",
      ["enum %s is not in the YAML (and not listed as non-netlink)" % e
       for e in enums if e not in covered])

for enum, dname in ENUM_DEFS.items():
    d = definitions.get(dname)
    if not d or d.get("type") != "enum":
        check("enum_" + dname, ["no enum definition %s" % dname])
        continue
    compare("enum_" + dname, [(n, v) for n, v, _ in real_entries(enum)],
            yaml_enum_entries(d))

# ---- counters --------------------------------------------------------------

# Each counter's name is the first word of its comment (e.g. rx_ike_msgs);
# in a counters nest counter N is attribute N + 1 and 0 is padding.
p = []
c_counters = real_entries("iketcp_counter")
cs = attr_sets.get("counters")
if not cs:
    p.append("no attribute set counters")
else:
    y_attrs = [(a["name"], v, a) for _, v, a in yaml_set_attrs(cs)]
    pad = [(n, v) for n, v, a in y_attrs if a.get("type") == "pad"]
    try:
        pad_value = c_eval(defines["IKETCP_CNT_PAD"])
    except (KeyError, ValueError) as e:
        pad_value = None
        p.append("IKETCP_CNT_PAD: %s" % e)
    if [v for _, v in pad] != [pad_value]:
        p.append("counters pad %s, header IKETCP_CNT_PAD %s"
                 % (pad, pad_value))
    y_cnt = {v: (n, a) for n, v, a in y_attrs if a.get("type") != "pad"}
    seen = set()
    for n, v, comment in c_counters:
        m = re.match(r"([a-z0-9_]+)", comment)
        if not m:
            p.append("%s has no counter name in its comment" % n)
            continue
        cname = m.group(1)
        if "IKETCP_CNT_" + cname.upper() != n:
            p.append("%s: comment names %s" % (n, cname))
        if v + 1 not in y_cnt:
            p.append("%s (%s): no counters attribute %d" % (n, cname, v + 1))
            continue
        yname, a = y_cnt[v + 1]
        seen.add(v + 1)
        if yname.replace("-", "_") != cname:
            p.append("attribute %d is %s in the YAML, %s in the header"
                     % (v + 1, yname, cname))
        if a.get("type") != "u64":
            p.append("counter %s: type %s, want u64" % (yname, a.get("type")))
    for v, (yname, _) in sorted(y_cnt.items()):
        if v not in seen:
            p.append("YAML counter %s (attribute %d) not in the header"
                     % (yname, v))
    # The counter enum definition names them the same way.
    d = definitions.get("counter", {})
    for (n, v, comment), (yn, yv) in zip(c_counters, yaml_enum_entries(d)):
        m = re.match(r"([a-z0-9_]+)", comment)
        if m and yn != "IKETCP_CNT_" + m.group(1).upper():
            p.append("enum counter %s = %d vs comment name %s"
                     % (yn, yv, m.group(1)))
check("counter_names", p)

# ---- constants -------------------------------------------------------------

p = []
consts = {k: d for k, d in definitions.items() if d.get("type") == "const"}
for name, d in consts.items():
    define = "IKETCP_" + c_upper(name)
    if define not in defines:
        p.append("const %s: no %s in the header" % (name, define))
        continue
    try:
        if c_eval(defines[define]) != d.get("value"):
            p.append("const %s = %s, header %s = %s (%d)"
                     % (name, d.get("value"), define, defines[define],
                        c_eval(defines[define])))
    except ValueError as e:
        p.append("%s: %s" % (define, e))
# The policy bounds the header documents are constants of the spec.
for define in ("IKETCP_QUEUE_LIMIT_MIN", "IKETCP_QUEUE_LIMIT_MAX",
               "IKETCP_MAX_BINDINGS"):
    if define[len("IKETCP_"):].lower().replace("_", "-") not in consts:
        p.append("%s has no const in the YAML" % define)
check("constants", p)

finish()
PYEOF
