package layers

import "github.com/hyperbuild/hyper/layers/cache"

// Cache is the image cache behind `hyperbuild cache ls|prune`.
type Cache = cache.Cache

// Entry is one cached blob or unpacked layer.
type Entry = cache.Entry

// DefaultCacheDir is $HYPER_CACHE, else the user cache directory's "hyper".
func DefaultCacheDir() (string, error) { return cache.DefaultDir() }

// OpenCache opens the cache at dir (DefaultCacheDir when empty).
func OpenCache(dir string) (*Cache, error) {
	if dir == "" {
		d, err := cache.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return cache.Open(dir)
}
