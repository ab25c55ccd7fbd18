// Package lab builds test hosts on one machine: network namespaces
// joined by veth pairs to a bridge that lives in a namespace of its own,
// each host running a `ward daemon` with its own state folder, API
// socket and a private view of one folder (its "disk"), and a client
// namespace from which tests write to the hosts.
//
// Callers must be root. They create a Lab with New, call Up, then use
// Cut, Heal, Freeze, Thaw, PowerOff and Boot to break and repair hosts,
// and must call Down, which kills every process of every namespace of
// the lab and deletes the namespaces, even after a failed Up. Only
// namespaces whose names start with the lab's prefix are ever touched;
// addresses are private ones used only inside them.
//
// Two facts of this machine shape the package: PID 1 reaps orphans
// slowly, so PowerOff waits until every process it killed is gone (or a
// zombie) and PostgreSQL's start must wait for its old postmaster to be
// reaped; and unix sockets are not isolated by network namespaces, so
// every host has its own socket folders.
package lab
