package file

import "github.com/lipwatch/lipwatch/connectors"

// optionsOf decodes and checks a source's options as connectors.New does,
// for the tests that read files without a connector.
func optionsOf(m connectors.Options) (options, error) {
	o, err := connectors.Decode[Options](Kind, m)
	if err != nil {
		return options{}, err
	}
	return parseOptions(o)
}
