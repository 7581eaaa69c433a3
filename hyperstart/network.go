package hyperstart

import (
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// dhcpTimeout bounds how long a pod waits for a DHCP lease at boot.
const dhcpTimeout = 3 * time.Second

// setupNetwork configures the first Ethernet interface: statically
// from the contract, else from the kernel command line (the runner's
// set-up), else by DHCP. It returns the pod's address (no prefix, "" if
// none) and resolvers. Failures are logged: a pod without network still
// runs.
func setupNetwork(l *Log, p *contract.Pod, cmd Cmdline) (string, []string) {
	addr, gw, dns := p.Network.Address, p.Network.Gateway, p.Network.DNS
	if addr == "" {
		addr, gw = cmd.IP, cmd.Gateway
	}
	if len(dns) == 0 {
		dns = cmd.DNS
	}
	link := firstEthernet(sysClassNet)
	if link == "" {
		l.Debugf("no Ethernet interface")
		return "", dns
	}
	if addr != "" {
		steps, err := NetPlan(link, addr, gw)
		if err == nil {
			err = Run(l, steps)
		}
		if err != nil {
			l.Printf("network: %v", err)
			return "", dns
		}
		return steps[1].(AddrAdd).Prefix.Addr().String(), dns
	}
	if err := Run(l, []Step{LinkUp(link)}); err != nil {
		l.Printf("network: %v", err)
		return "", dns
	}
	l.Debugf("dhcp on %s", link)
	lease, err := DHCP(link, dhcpTimeout)
	if err != nil {
		l.Printf("network: dhcp on %s: %v", link, err)
		return "", dns
	}
	steps := []Step{AddrAdd{Link: link, Prefix: lease.Addr}}
	if lease.Router.IsValid() {
		steps = append(steps, DefaultRoute{Link: link, Gateway: lease.Router})
	}
	if err := Run(l, steps); err != nil {
		l.Printf("network: %v", err)
		return "", dns
	}
	if len(dns) == 0 {
		for _, d := range lease.DNS {
			dns = append(dns, d.String())
		}
	}
	return lease.Addr.Addr().String(), dns
}
