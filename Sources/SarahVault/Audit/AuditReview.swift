/// A systematic review of the audit log, as the Swedish rules for access logs ask of a care
/// provider (HSLF-FS 2016:40 4 kap. 9 §, applied by analogy in social services): who read what
/// without being one of the case's key holders, what was refused, who read unusually much,
/// what was read outside office hours, and a random sample for a person to check by hand.
///
/// The review reads the log entry by entry, in order, with the `SignedHistory` of key holders
/// as it stood at each entry. It is a reading of the stored log: `audit verify` is what proves
/// that log genuine, and a review does not replace it.
struct AuditReview {
    let rules: ReviewRules
    /// Entries with seq below this are read only for the history, not reviewed.
    let fromSeq: Int64
    /// Only entries at or after this time (ms) are reviewed, when given.
    let sinceMillis: Int64?
    /// Picks a uniform random integer in 0..<n (libsodium's randomness in the vault).
    let random: (UInt64) -> UInt64

    private var history = SignedHistory()
    private var findings: ReviewFindings
    private var readsByActor: [String: (role: String, reads: Int)] = [:]
    /// Reservoir sampling (Vitter's algorithm R): a uniform sample of the reviewed entries
    /// without knowing their number in advance.
    private var reservoir: [ReviewFindings.Entry] = []
    private var seen: UInt64 = 0

    init(
        vaultID: String, reviewer: String, since: String?, sinceMillis: Int64?, fromSeq: Int64, rules: ReviewRules,
        random: @escaping (UInt64) -> UInt64
    ) {
        self.rules = rules
        self.fromSeq = fromSeq
        self.sinceMillis = sinceMillis
        self.random = random
        findings = ReviewFindings(vault: vaultID, reviewer: reviewer, since: since, fromSeq: fromSeq, rules: rules)
    }

    mutating func add(_ e: AuditEntry) {
        defer { history.apply(e) }
        findings.toSeq = e.seq + 1
        guard e.seq >= fromSeq, sinceMillis.map({ e.timeMillis >= $0 }) ?? true else { return }
        findings.entries += 1
        let item = ReviewFindings.Entry(e)
        if e.result == .refused { findings.refusals.append(item) }
        if e.action == AuditAction.readDocument && e.result == .granted {
            findings.reads += 1
            readsByActor[e.actorKeyID, default: (e.role?.rawValue ?? "none", 0)].reads += 1
            if let c = e.caseID, !history.holds(e.actorKeyID, c) { findings.readsByNonHolders.append(item) }
            let local = AuditTime.stockholm(e.timeMillis)
            if local.weekday > 5 || local.hour < rules.officeOpens || local.hour >= rules.officeCloses {
                findings.readsOutsideOfficeHours.append(item)
            }
        }
        seen += 1
        if reservoir.count < rules.sample {
            reservoir.append(item)
        } else if rules.sample > 0 {
            let j = random(seen)
            if j < UInt64(rules.sample) { reservoir[Int(j)] = item }
        }
    }

    /// The findings, once every entry has been added.
    func finish() -> ReviewFindings {
        var out = findings
        let counts = readsByActor.values.map(\.reads).sorted()
        if !counts.isEmpty {
            let mid = counts.count / 2
            let median = counts.count % 2 == 1 ? Double(counts[mid]) : Double(counts[mid - 1] + counts[mid]) / 2
            out.medianReads = median
            out.unusualVolume = readsByActor.filter { _, v in
                v.reads >= rules.volumeMinimum && Double(v.reads) > rules.volumeFactor * median
            }.map { ReviewFindings.Volume(actor: $0.key, role: $0.value.role, reads: $0.value.reads) }
                .sorted { ($0.reads, $0.actor) > ($1.reads, $1.actor) }
        }
        out.sample = reservoir.sorted { $0.seq < $1.seq }
        return out
    }
}

/// What a log review found. Its canonical JSON (sorted keys, no whitespace) is what the
/// `audit.review` entry's data hash covers.
public struct ReviewFindings: Sendable, Codable, Equatable {
    /// One entry, as a reviewer reads it: no personal data, only identifiers.
    public struct Entry: Sendable, Codable, Equatable {
        public var seq: Int64
        public var time: String
        /// Europe/Stockholm local time, e.g. `2024-05-01 14:34 CEST`.
        public var local: String
        public var actor: String
        public var role: String
        public var action: String
        public var result: String
        public var `case`: String?
        public var document: Int64?
        public var version: Int64?

        init(_ e: AuditEntry) {
            seq = e.seq
            time = AuditTime.iso(e.timeMillis)
            local = AuditTime.stockholm(e.timeMillis).text
            actor = e.actorKeyID
            role = e.role?.rawValue ?? "none"
            action = e.action
            result = e.result.name
            self.case = e.caseID
            document = e.document
            version = e.version
        }
    }

    public struct Volume: Sendable, Codable, Equatable {
        public var actor: String
        public var role: String
        public var reads: Int
    }

    public var vault: String
    /// The reviewer's key id.
    public var reviewer: String
    /// The `--since` date, if one was given.
    public var since: String?
    /// Entries from this seq on were reviewed (after the previous review, by default).
    public var fromSeq: Int64
    /// … up to, not including, this one: the log's size when the review read it.
    public var toSeq: Int64 = 0
    /// How many entries the review covered.
    public var entries = 0
    /// Granted `document.read` entries among them.
    public var reads = 0
    public var medianReads: Double = 0
    public var rules: ReviewRules
    /// Granted reads by someone who, by the signed log, did not hold the case's key then.
    public var readsByNonHolders: [Entry] = []
    /// Every refused attempt.
    public var refusals: [Entry] = []
    /// Readers whose reads exceed the rule's factor of the median.
    public var unusualVolume: [Volume] = []
    /// Granted reads outside office hours (weekdays 07–18, Stockholm time).
    public var readsOutsideOfficeHours: [Entry] = []
    /// A uniform random sample of the reviewed entries, to check by hand against the case files.
    public var sample: [Entry] = []

    init(vault: String, reviewer: String, since: String?, fromSeq: Int64, rules: ReviewRules) {
        self.vault = vault
        self.reviewer = reviewer
        self.since = since
        self.fromSeq = fromSeq
        self.rules = rules
    }

    /// Findings that call for a person to look (the sample always does, and is not counted).
    public var count: Int {
        readsByNonHolders.count + refusals.count + unusualVolume.count + readsOutsideOfficeHours.count
    }
}

/// The thresholds of a log review; they are part of its findings, so a review states the rules
/// it applied.
public struct ReviewRules: Sendable, Codable, Equatable {
    /// A reader whose reads exceed `volumeFactor` × the median of all readers' reads in the
    /// reviewed entries, and number at least `volumeMinimum`, is listed.
    public var volumeFactor: Double = 3
    public var volumeMinimum = 10
    /// Office hours in Europe/Stockholm local time: Monday to Friday, from `officeOpens`
    /// o'clock to before `officeCloses`. Public holidays are not known to the review.
    public var officeOpens = 7
    public var officeCloses = 18
    /// How many entries to draw at random for a manual spot check.
    public var sample = 0

    public init(sample: Int = 0) { self.sample = max(0, sample) }
}
