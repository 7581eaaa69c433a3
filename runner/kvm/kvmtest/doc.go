package kvmtest
