package signals

import "github.com/vigie-project/vigie/mention"

// IsDetractor reports an employee's negative post about the employer: the
// author is on the roster, the sentiment analysis labelled the post
// negative, and the caller established that it is about the employer (a
// watch of kind "own brand" matched, or the charter found an employer
// reference).
func IsDetractor(m *mention.Mention, aboutEmployer bool) bool {
	return aboutEmployer && m != nil && m.IsEmployee() && m.Sentiment != nil && m.Sentiment.Label == mention.Negative
}
