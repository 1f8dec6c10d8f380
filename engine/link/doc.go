// Package link resolves the identity of department rows whose ID number
// is missing, mistyped or damaged (身份识别): it finds each row's
// candidates in the household registry and decides, never guessing,
// between three outcomes — linked (auto), waiting for an analyst's review,
// or unmatched.
//
// The method is Fellegi–Sunter record linkage (Fellegi & Sunter, "A
// Theory for Record Linkage", JASA 1969) as Splink implements it in SQL:
//
//   - Blocking keeps the work linear: a row is compared only with the
//     people who share a blocking value with it (the same name, birth date,
//     ID tail, 户号, or the household of the person whose ID it carries);
//     a value shared by more than Options.MaxBlock people does not block.
//   - Each pair is compared field by field at levels (Comparisons): names
//     exactly, as homophones (pinyin) or one character apart; birth dates
//     exactly or one digit apart; ID numbers one or two edits apart, with
//     Excel's 15 significant digits, or as another member's number of the
//     same household.
//   - Each level weighs log2(m/u) bits: u, the chance two different people
//     agree so, is measured on random pairs; m, the chance the same person
//     does, and Pi, the share of rows whose person is in the registry, are
//     estimated by expectation–maximisation over the blocked pairs
//     (Estimate). An exact name weighs by its own frequency in the
//     registry (term-frequency adjustment): 王伟 agreeing says less than a
//     rare name.
//   - A pair's match weight is the prior log2(λ/(1−λ)), λ = Pi/people,
//     plus its levels' weights; its probability 2^w/(1+2^w). Thresholds
//     turn the best candidate into a Band; a best candidate that does not
//     lead the second by Thresholds.Margin bits waits for review.
//
// Model.Explain gives each pair's waterfall (the weight of every
// comparison), for the CLI and the review page. Names are normalized in Go
// (NormalizeName: OpenCC traditional→simplified, width folding, spaces;
// Pinyin: go-pinyin); everything else runs in DuckDB SQL over temp tables
// (lk_*) on the caller's connection.
package link
