// Package serial is the guest's console: a 16550A UART at the COM1 I/O
// ports, output only. What the guest transmits goes to an io.Writer
// (hyperboot's stdout, through the runner's console filter); nothing is
// ever read from the host's stdin, so a VM runs the same with or without
// a terminal. The UART raises its interrupt when the transmitter is empty
// so the Linux tty layer streams output instead of polling.
package serial
