"""Builds one-replica Swift rings (account, container, object) with a single local device.

Usage: /usr/bin/python3 swift_rings.py SWIFT_DIR ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT
Writes SWIFT_DIR/{account,container,object}.ring.gz; the device is `sdb1` on 127.0.0.1. One
process for all three rings: swift-ring-builder would start Python six times.
"""

import os
import sys

from swift.common.ring import RingBuilder


def build(swift_dir, kind, port):
    builder = RingBuilder(part_power=6, replicas=1, min_part_hours=0)
    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": port,
                     "device": "sdb1", "weight": 100.0, "meta": ""})
    builder.rebalance()
    builder.get_ring().save(os.path.join(swift_dir, f"{kind}.ring.gz"))


def main():
    swift_dir = sys.argv[1]
    for kind, port in zip(("account", "container", "object"), sys.argv[2:5]):
        build(swift_dir, kind, int(port))


if __name__ == "__main__":
    main()
