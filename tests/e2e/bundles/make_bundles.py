"""Builds handler-bundle ZIPs at test time, in memory, with Python's zipfile (stdlib only).

Good bundles for the import tests, and the malicious set the gateway must refuse before
writing anything: zip-slip, absolute paths, symlinks, a zip bomb, too many files. Every function
returns the ZIP's bytes. Run it as a script to write the set into a directory for manual tests:
    /usr/bin/python3 tests/e2e/bundles/make_bundles.py OUT_DIR
"""

import io
import pathlib
import stat
import sys
import zipfile

SPECS = pathlib.Path(__file__).resolve().parent.parent / "specs"


def petstore_spec():
    return (SPECS / "petstore.yaml").read_text(encoding="utf-8")


def make_zip(files, symlinks=()):
    """A deflated ZIP of `files` ({name: str or bytes}) plus `symlinks` ({name: target})."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
        for name, target in dict(symlinks).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # Unix: external_attr's high 16 bits are st_mode
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, target)
    return buf.getvalue()


def bundle(handlers=None, manifest=None, spec=None, spec_name="openapi.yaml", extra=None):
    """A bundle: the spec (Petstore by default), an optional bundle.yaml, handler sources."""
    files = {spec_name: spec if spec is not None else petstore_spec()}
    if manifest is not None:
        files["bundle.yaml"] = manifest
    files.update(handlers or {})
    files.update(extra or {})
    return make_zip(files)


def zip_slip():
    """A handler entry that would land two folders above the extraction directory."""
    return bundle(extra={"../../evil.cpp": "// escaped", "handlers/../../../etc/cron.cpp": "x"})


def absolute_path():
    return bundle(extra={"/etc/edgegate-pwned.cpp": "x"})


def symlink():
    """A symlink entry pointing at a secret (its 'content' is the link target)."""
    return make_zip({"openapi.yaml": petstore_spec()}, symlinks={"list_pets.cpp": "/etc/shadow"})


def zip_bomb(megabytes=80):
    """One entry of `megabytes` MiB of zeros: about 80 KiB compressed, over every size limit."""
    buf = io.BytesIO()
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("openapi.yaml", petstore_spec())
        with z.open("assets/bomb.bin", "w", force_zip64=True) as f:
            for _ in range(megabytes):
                f.write(chunk)
    return buf.getvalue()


def too_many_files(count=1001):
    return bundle(extra={f"assets/f{i}.txt": "x" for i in range(count)})


MALICIOUS = {
    "zip_slip": zip_slip,
    "absolute_path": absolute_path,
    "symlink": symlink,
    "zip_bomb": zip_bomb,
    "too_many_files": too_many_files,
}


def multipart(field, filename, data, boundary="----edgegate-test-5b1e7c"):
    """(body, content_type) of a multipart/form-data upload of one file, as curl -F sends it."""
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/zip\r\n\r\n").encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


if __name__ == "__main__":
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for name, build in MALICIOUS.items():
        (out / f"{name}.zip").write_bytes(build())
    (out / "petstore_stubs.zip").write_bytes(bundle())
    print(f"wrote {len(MALICIOUS) + 1} bundles to {out}")
