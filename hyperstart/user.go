package hyperstart

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// User is the identity a container's process runs as.
type User struct {
	UID, GID uint32
	Groups   []uint32 // supplementary groups
	Home     string
}

// ResolveUser interprets a Docker USER value ("", "name", "uid",
// "uid:gid", "name:group", "uid:group", ...) against the container's own
// /etc/passwd and /etc/group; either reader may be nil when the file is
// absent. A numeric uid need not exist in passwd (its gid is then 0 unless
// given); supplementary groups are those of the group file that list the
// user's name.
func ResolveUser(spec string, passwd, group io.Reader) (User, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" {
		userPart = "0"
	}
	users, err := readColonFile(passwd, 7)
	if err != nil {
		return User{}, fmt.Errorf("reading /etc/passwd: %w", err)
	}
	groups, err := readColonFile(group, 4)
	if err != nil {
		return User{}, fmt.Errorf("reading /etc/group: %w", err)
	}

	u := User{Home: "/"}
	name := ""
	if n, err := strconv.ParseUint(userPart, 10, 32); err == nil {
		u.UID = uint32(n)
		for _, e := range users {
			if e[2] == userPart {
				name, u.GID, u.Home = e[0], parseID(e[3]), e[5]
				break
			}
		}
	} else {
		found := false
		for _, e := range users {
			if e[0] == userPart {
				name, u.UID, u.GID, u.Home, found = e[0], parseID(e[2]), parseID(e[3]), e[5], true
				break
			}
		}
		if !found {
			return User{}, fmt.Errorf("user %q: %w in /etc/passwd", userPart, ErrNoUser)
		}
	}
	if hasGroup && groupPart != "" {
		if n, err := strconv.ParseUint(groupPart, 10, 32); err == nil {
			u.GID = uint32(n)
		} else {
			found := false
			for _, e := range groups {
				if e[0] == groupPart {
					u.GID, found = parseID(e[2]), true
					break
				}
			}
			if !found {
				return User{}, fmt.Errorf("group %q: %w in /etc/group", groupPart, ErrNoUser)
			}
		}
	}
	if u.Home == "" {
		u.Home = "/"
	}
	u.Groups = []uint32{u.GID}
	if name != "" {
		for _, e := range groups {
			for _, m := range strings.Split(e[3], ",") {
				if m == name {
					if g := parseID(e[2]); !containsID(u.Groups, g) {
						u.Groups = append(u.Groups, g)
					}
				}
			}
		}
	}
	return u, nil
}

// readColonFile reads passwd/group style lines with at least n fields;
// comments and malformed lines are skipped, as libc does.
func readColonFile(r io.Reader, n int) ([][]string, error) {
	if r == nil {
		return nil, nil
	}
	var out [][]string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < n {
			continue
		}
		out = append(out, f)
	}
	return out, sc.Err()
}

func parseID(s string) uint32 {
	n, _ := strconv.ParseUint(s, 10, 32)
	return uint32(n)
}

func containsID(ids []uint32, id uint32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
