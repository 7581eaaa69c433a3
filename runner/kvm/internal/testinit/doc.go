// Command testinit is the /init of the nested test's inner guest. It
// prints Line and loads the modules in /modules/order (virtio and the
// ACPI button driver, when the kernel does not have them built in); with testinit.disk on the command line it reads the first
// sector of /dev/vda; with testinit.net it brings eth0 up and reports its
// traffic; with testinit.agent it echoes one message on the agent port
// (contract.AgentPort); with testinit.button it waits for KEY_POWER, which the VMM sends as its graceful stop. Then,
// as hyperstart does, it prints the pod exit line and writes the status
// (3, or 4 after the power button) to the exit port (contract.ExitPort)
// with ioperm and OUTB (Debian's kernel has no /dev/port) or /dev/port
// (the hyperkernel has no ioperm), and powers off if the port did not end
// the VM.
package main
