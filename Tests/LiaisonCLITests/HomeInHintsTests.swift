@testable import LiaisonCLI
import Testing

/// Hints in errors name the home the command line gave, so that running them acts
/// on the same node (the daemon's own hints cannot know it).
@Suite("--home carried into the commands errors suggest")
struct HomeInHintsTests {
    @Test("each `liaison …` hint without --home gets the one given; others are left alone")
    func adds() {
        let message = "no peer named x; see `liaison peers list`, or `liaison init --home /a --name N`; run `liaisond --home /a`"
        #expect(HomeInHints.adding("/srv/node b", to: message)
                == "no peer named x; see `liaison peers list --home '/srv/node b'`, or `liaison init --home /a --name N`; run `liaisond --home /a`")
        #expect(HomeInHints.adding("/n", to: "an open `liaison peers") == "an open `liaison peers", "an unclosed span stays as it is")
        #expect(HomeInHints.adding("/n", to: "`liaison a` and `liaison b`") == "`liaison a --home /n` and `liaison b --home /n`")
    }

    @Test("the home is read from --home DIR or --home=DIR")
    func reads() {
        #expect(HomeInHints.home(in: ["status", "--home", "/a"]) == "/a")
        #expect(HomeInHints.home(in: ["status", "--home=/b", "--json"]) == "/b")
        #expect(HomeInHints.home(in: ["status"]) == nil)
        #expect(HomeInHints.home(in: ["status", "--home", "/a", "--home=/c"]) == "/c", "the last, as the parser takes it")
    }
}
