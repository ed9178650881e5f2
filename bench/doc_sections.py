"""Sections of docs/benchmarks.md: each benchmark script owns one level-2 section
(its heading up to the next "## " heading) and rewrites only that one, keeping the
section's hand-written "### Notes" subsection."""

NOTES_HEADING = "### Notes"


def section_bounds(text, heading):
    """(start, end) of the section under `heading` in `text`, or None when absent."""
    start = text.find(heading + "\n")
    if start < 0 or (start > 0 and text[start - 1] != "\n"):
        return None
    end = text.find("\n## ", start + len(heading))
    return start, (len(text) if end < 0 else end + 1)


def section_text(text, heading):
    """The section under `heading`, or "" when absent."""
    bounds = section_bounds(text, heading)
    return text[bounds[0]:bounds[1]] if bounds else ""


def replace_section(text, heading, body):
    """`text` with the section under `heading` replaced by `body` (which starts with
    that heading), or with `body` appended when there is none."""
    body = body.rstrip() + "\n"
    bounds = section_bounds(text, heading)
    if not bounds:
        return text.rstrip() + "\n\n" + body if text.strip() else body
    rest = text[bounds[1]:]
    return text[:bounds[0]] + body + ("\n" + rest if rest else "")


def read_doc(path):
    """The file's text, or "" when it does not exist yet."""
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def write_section(path, heading, body):
    """Rewrites only the section under `heading` of the file at `path`."""
    text = replace_section(read_doc(path), heading, body)
    with open(path, "w") as f:
        f.write(text)


def kept_notes(path, heading):
    """The "### Notes" subsection (hand-written analysis) of the section under
    `heading` in the file at `path`, or None."""
    section = section_text(read_doc(path), heading)
    start = section.find("\n" + NOTES_HEADING)
    return section[start + 1:].rstrip() + "\n" if start >= 0 else None


def write_section_keeping_notes(path, heading, lines):
    """Writes the section from `lines` (starting with its heading) followed by the
    notes the section already had."""
    notes = kept_notes(path, heading)
    write_section(path, heading, "\n".join(lines + ([notes] if notes else [])))
