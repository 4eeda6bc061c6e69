#!/bin/sh
# Runs under User-Mode Linux (test/integration/test-kernel.sh): the port
# datapath's program on crafted frames (test-port-prog), VLANs, anti-spoofing
# and the guest firewall, through the verifier and the BPF interpreter of the
# 6.1 kernel Debian 12 and Proxmox nodes of that generation run.
exec "${LXCNET_BUILDDIR:?}/test/integration/test-port-prog"
