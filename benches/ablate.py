"""What each optional part of the worker costs in the final module, measured by
building it without the part: the dialects, the OpenAPI document, the login page,
nine of the eleven providers (Twilio and Resend stay, with the log provider), and
thirteen of the fourteen locales (en-US stays), taken out one after another. What
is left at the end is the core: the native API, its limits and strict mode, the
tokens and keys, the stores.

A step edits a copy of the sources (target/ablate/tree) so that the part can no
longer be reached, and the compiler and wasm-opt drop its code and data: the same
build (scripts/build) and the same measure as scripts/size's (gzip -9; of the bytes
alone, so 14 bytes less: gzip's header holds no file name).
The edits exist only in that copy; an edit whose anchor is no longer in the sources
stops the run and names it (update the step here).

Usage: python3 benches/ablate.py   (six builds: 5 to 7 minutes; not in scripts/bench)
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

from wasm_breakdown import gz as gzipped

ROOT = pathlib.Path(__file__).resolve().parent.parent
TREE = ROOT / "target" / "ablate" / "tree"
UNREACHED = 'return Reply::plain(404, crate::core::json::Value::Null, "ablated");'

# Each step: (what goes, [(file, anchor, replacement)]); an anchor is found exactly once.
STEPS = [
    ("the four dialects (Meeting, BSS, CloudBase, CIAM)", [
        ("src/surface/dialect/mod.rs", "    now: u64,\n) -> Reply {\n",
         "    now: u64,\n) -> Reply {\n    " + UNREACHED + "\n"),
        ("src/surface/dialect/mod.rs", "pub fn error_reply(route: DialectRoute, error: &ApiError) -> Reply {\n",
         "pub fn error_reply(route: DialectRoute, error: &ApiError) -> Reply {\n    " + UNREACHED + "\n"),
    ]),
    ("the OpenAPI document", [
        ("src/surface/api.rs", "Cow::Borrowed(crate::surface::openapi::DOCUMENT)", 'Cow::Borrowed("{}")'),
    ]),
    ("the login page", [
        ("src/surface/api.rs", "        Route::Page => page(head, config, entropy),",
         "        Route::Page => Err(ApiError::NotFound),"),
    ]),
    ("nine providers (webhook, Vonage, Tencent, Alibaba, Huawei, SendGrid, Postmark, Mailgun, SES)", [
        ("src/delivery/provider/mod.rs",
         re.compile(r"            Provider::Webhook\(webhook\) => Dispatch.*?\n(?=            Provider::Email)", re.S),
         "            Provider::Twilio(twilio) => Dispatch::Http(twilio.request(message)),\n"),
        ("src/delivery/provider/mod.rs",
         "            Provider::Email(vendor) => Dispatch::Http(vendor.request(message, now)),\n",
         "            Provider::Email(vendor) => Dispatch::Http(vendor.request(message, now)),\n"
         "            _ => Dispatch::Console(String::new()),\n"),
        ("src/delivery/provider/mod.rs",
         re.compile(r"            Provider::Webhook\(_\) => webhook::classify.*?\n(?=            Provider::Email)", re.S),
         "            Provider::Twilio(_) => twilio::classify(reply),\n"),
        ("src/delivery/provider/mod.rs",
         "            Provider::Email(vendor) => vendor.classify(reply),\n",
         "            Provider::Email(vendor) => vendor.classify(reply),\n"
         "            _ => Verdict::Delivered,\n"),
        ("src/delivery/provider/mod.rs",
         re.compile(r"(            EmailKind::Resend => email::resend::request\(.*?\n).*?\n(?=        \}\n    \}\n)", re.S),
         r"\1            _ => unreachable!(),\n"),
        ("src/delivery/provider/mod.rs",
         re.compile(r"(            EmailKind::Resend => email::resend::classify\(reply\),\n).*?\n(?=        \}\n    \}\n)", re.S),
         r"\1            _ => Verdict::Delivered,\n"),
    ]),
    ("thirteen locales (all but en-US)", [
        ("src/delivery/locale/mod.rs",
         re.compile(r"            Locale::ZhCn => &zh_cn::TEXTS,\n.*?Locale::Tr => &tr::TEXTS,\n", re.S),
         "            _ => &en_us::TEXTS,\n"),
    ]),
]


def copy_sources():
    """The committed tree and its working changes, beside the copy's own build
    cache (target/ inside the copy is kept between runs)."""
    TREE.mkdir(parents=True, exist_ok=True)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    shutil.rmtree(TREE / "src", ignore_errors=True)
    for name in files:
        source = ROOT / name
        if source.is_file():
            (TREE / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, TREE / name)
    # The sources as new (copy2 keeps their times): cargo must not take the last
    # run's build, of the edited sources, for up to date.
    for path in (TREE / "src").rglob("*"):
        os.utime(path)
    # The tools are the checkout's (scripts/setup installs them there first).
    subprocess.run(["scripts/setup"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    link = TREE / "node_modules"
    if not link.is_symlink():
        link.symlink_to(ROOT / "node_modules")


def apply(edits):
    for file, anchor, replacement in edits:
        path = TREE / file
        text = path.read_text()
        if isinstance(anchor, str):
            found = text.count(anchor)
            text = text.replace(anchor, replacement)
        else:
            text, found = anchor.subn(replacement, text)
        if found != 1:
            sys.exit(f"benches/ablate.py: the anchor in {file} is found {found} times, not once: "
                     f"{getattr(anchor, 'pattern', anchor)!r}")
        path.write_text(text)


def build():
    """(raw, gzipped) bytes of the copy's build/index_bg.wasm."""
    wasm = TREE / "build" / "index_bg.wasm"
    wasm.unlink(missing_ok=True)
    run = subprocess.run(["scripts/build"], cwd=TREE, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"benches/ablate.py: the build failed:\n{run.stderr[-3000:]}")
    data = wasm.read_bytes()
    return len(data), gzipped(data)


def main():
    copy_sources()
    print(f"{'bytes':>9}  {'gzipped':>8}  {'less, gz':>8}  index_bg.wasm, the optional parts taken out one after another")
    raw, gz = build()
    print(f"{raw:9d}  {gz:8d}  {'':>8}  the worker as it is")
    start = gz
    for name, edits in STEPS:
        apply(edits)
        before = gz
        raw, gz = build()
        print(f"{raw:9d}  {gz:8d}  {before - gz:8d}  without {name}", flush=True)
    print(f"the core is {gz} bytes gzipped; the optional parts {start - gz}")


if __name__ == "__main__":
    main()
