"""Generated blocks in Markdown pages, shared by the programs that write them (results_page.py for
the results, bench/perf_tables.py for the benchmarks). A page marks each block with
    <!-- BEGIN generated: NAME -->  ...  <!-- END generated: NAME -->
and a writer replaces what lies between the markers of the names it owns; everything else on the
page is left as it is."""
import difflib
import json
import os
import re
import sys

MARK = re.compile(r"(<!-- BEGIN generated: ([a-z0-9-]+) -->\n)(.*?)(<!-- END generated: \2 -->)", re.S)


def render(page, generated, owns):
    """(the page with the blocks `owns(name)` accepts filled from `generated`, the names filled)."""
    seen = set()

    def sub(m):
        name = m.group(2)
        if not owns(name):
            return m.group(0)
        seen.add(name)
        body = generated.get(name, "(no results for this table in the results directory: run the command above)")
        return m.group(1) + body + "\n" + m.group(4)

    return MARK.sub(sub, page), seen


def write_pages(pages, generated, owns, check, writer, source):
    """Fills (or with `check`, compares) each page; returns False where a checked page differs."""
    same = True
    for path in pages:
        page = open(path).read()
        new, seen = render(page, generated, owns)
        if not seen:
            sys.exit("%s: %s has no generated blocks (<!-- BEGIN generated: NAME -->)" % (writer, path))
        if check:
            if new != page:
                sys.stdout.writelines(difflib.unified_diff(page.splitlines(True), new.splitlines(True), path,
                                                           "generated from " + source))
                print("%s: %s differs from what %s gives (run %s)" % (writer, path, source, writer))
                same = False
            else:
                print("%s: %s matches %s (%d generated blocks)" % (writer, path, source, len(seen)))
            continue
        if new != page:
            tmp = path + ".tmp.%d" % os.getpid()
            with open(tmp, "w") as f:
                f.write(new)
            os.replace(tmp, path)
        print("%s: wrote %d generated blocks into %s" % (writer, len(seen), path))
    return same


def count(flags):
    """'2 of 3': how many of a list of yes/no outcomes hold."""
    return "%d of %d" % (sum(flags), len(flags))


def table(header, rows):
    """A Markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(out + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def load_record(path, bad, what="results file"):
    """A JSON object from a measured file; anything else raises `bad` naming the file."""
    try:
        with open(path) as f:
            record = json.load(f)
    except (OSError, ValueError) as e:
        raise bad("%s: %s" % (path, e))
    if not isinstance(record, dict):
        raise bad("%s: not a %s" % (path, what))
    return record


def field(record, key, kind, path, bad):
    """record[key] if it is of `kind` (a type or tuple of types); bool is an int to Python, so a count
    or a duration given as true/false is malformed too."""
    value = record.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        name = "/".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
        raise bad("%s: field %r missing or not %s" % (path, key, name))
    return value
