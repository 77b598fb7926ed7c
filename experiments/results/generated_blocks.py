"""Generated blocks in Markdown pages, shared by the programs that write them (results_page.py for
the results, bench/perf_tables.py for the benchmarks). A page marks each block with
    <!-- BEGIN generated: NAME -->  ...  <!-- END generated: NAME -->
and a writer replaces what lies between the markers of the names it owns; everything else on the
page is left as it is."""
import difflib
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
