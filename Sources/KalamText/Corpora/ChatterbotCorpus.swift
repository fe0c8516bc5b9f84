import Foundation
import Yams

/// One chatterbot topic file: its categories and its conversations (each a list of turns).
public struct ChatterbotTopic: Sendable, Equatable, Hashable {
    /// The language folder, e.g. `english`, `persian`.
    public var language: String
    /// The file name without `.yml`, e.g. `ai`, `greetings`.
    public var topic: String
    /// The `categories` list.
    public var categories: [String]
    /// The `conversations` list: each conversation is its turns in order.
    public var conversations: [[String]]

    /// A topic.
    public init(language: String, topic: String, categories: [String], conversations: [[String]]) {
        self.language = language
        self.topic = topic
        self.categories = categories
        self.conversations = conversations
    }
}

/// The chatterbot corpus from PyPI `chatterbot-corpus` (`chatterbot_corpus/data/<language>/<topic>.yml`):
/// 21 English topics (2,026 conversations) and 17 Persian topics (773 conversations), read with Yams.
public enum ChatterbotCorpus {
    /// The corpus name used by `kalam data install`.
    public static let name = "chatterbot"

    /// The data folder inside the installed `chatterbot-corpus` package.
    public static var defaultDirectory: URL {
        DataDirectory.pypi("chatterbot-corpus").appendingPathComponent("chatterbot_corpus/data", isDirectory: true)
    }

    /// Reads every topic of one language (`english`, `persian`, …), sorted by file name.
    public static func load(language: String, directory: URL = defaultDirectory) throws -> [ChatterbotTopic] {
        try CorpusFile.requireInstalled(directory, corpus: name)
        let folder = directory.appendingPathComponent(language, isDirectory: true)
        let files = try CorpusFile.files(under: folder).filter {
            $0.pathExtension == "yml" || $0.pathExtension == "yaml"
        }
        let topics = try files.map {
            try parse(
                CorpusFile.text($0), language: language, topic: $0.deletingPathExtension().lastPathComponent,
                path: $0.path)
        }
        guard topics.contains(where: { !$0.conversations.isEmpty }) else { throw CorpusError.empty(path: folder.path) }
        return topics
    }

    /// One document per conversation, turns joined by newlines (id `english/ai#3`, label = topic).
    public static func documents(language: String, directory: URL = defaultDirectory) throws -> [TextDocument] {
        try load(language: language, directory: directory).flatMap { topic in
            topic.conversations.enumerated().map {
                TextDocument(
                    id: "\(language)/\(topic.topic)#\($0.offset)", text: $0.element.joined(separator: "\n"),
                    label: topic.topic)
            }
        }
    }

    /// Parses one topic file: a mapping with `categories` (a list of strings) and `conversations`
    /// (a list of lists of strings; a conversation written as a bare string becomes one turn); either
    /// may be absent or empty. Scalars are kept as written (`42` and `yes` stay strings). Malformed YAML
    /// and an unexpected layout are ``CorpusError/malformed(path:line:reason:)`` with a 1-based line.
    public static func parse(_ text: String, language: String, topic: String, path: String) throws -> ChatterbotTopic {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw malformed(error, path: path)
        }
        guard case .mapping(let mapping)? = root else {
            throw CorpusError.malformed(
                path: path, line: 1, reason: "expected a mapping with categories and conversations")
        }
        var categories: [String] = []
        var conversations: [[String]] = []
        for (key, value) in mapping {
            switch key.scalar?.string {
            case "categories":
                guard let items = try list(value, path: path, what: "categories") else { continue }
                categories = try items.map { try string($0, path: path, what: "a category") }
            case "conversations":
                guard let items = try list(value, path: path, what: "conversations") else { continue }
                conversations = try items.enumerated().map { index, item in
                    switch item {
                    case .sequence(let turns):
                        return try turns.map {
                            try string($0, path: path, what: "a turn of conversation \(index + 1)")
                        }
                    case .scalar(let single):
                        // A missing inner `- ` (english/trivia.yml has one) leaves a string: keep it as one turn.
                        return [single.string]
                    default:
                        throw CorpusError.malformed(
                            path: path, line: line(of: item),
                            reason: "conversation \(index + 1) is not a list of turns: \(kind(of: item))")
                    }
                }
            default:
                continue
            }
        }
        return ChatterbotTopic(language: language, topic: topic, categories: categories, conversations: conversations)
    }

    /// The items of a sequence node; `nil` for an empty value (`categories:` with nothing after it, or `~`).
    private static func list(_ node: Node, path: String, what: String) throws -> [Node]? {
        switch node {
        case .sequence(let items): return Array(items)
        case .scalar where node.null != nil: return nil
        default:
            throw CorpusError.malformed(
                path: path, line: line(of: node), reason: "\(what) is not a list: \(kind(of: node))")
        }
    }

    private static func string(_ node: Node, path: String, what: String) throws -> String {
        guard case .scalar(let scalar) = node else {
            throw CorpusError.malformed(
                path: path, line: line(of: node), reason: "\(what) is not a string: \(kind(of: node))")
        }
        return scalar.string
    }

    private static func line(of node: Node) -> Int { node.mark?.line ?? 1 }

    private static func kind(of node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "the string \"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// A Yams error as ``CorpusError/malformed(path:line:reason:)``. A scanner error is reported at the
    /// start of the token it was reading (an unterminated quoted string: where the quote opens); a parser
    /// error at the place the structure broke.
    private static func malformed(_ error: YamlError, path: String) -> CorpusError {
        switch error {
        case let .scanner(context, problem, mark, _):
            let reason = context.map { "\($0.text): \(problem)" } ?? problem
            return .malformed(path: path, line: context?.mark.line ?? mark.line, reason: reason)
        case let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let reason = context.map { "\($0.text) (line \($0.mark.line)): \(problem)" } ?? problem
            return .malformed(path: path, line: mark.line, reason: reason)
        case let .reader(problem, offset, _, yaml):
            let line = 1 + yaml.utf8.prefix(offset ?? 0).filter { $0 == UInt8(ascii: "\n") }.count
            return .malformed(path: path, line: line, reason: problem)
        case let .duplicatedKeysInMapping(duplicates, context):
            return .malformed(
                path: path, line: context.mark.line, reason: "duplicate keys \(duplicates.joined(separator: ", "))")
        default:
            return .malformed(path: path, line: 1, reason: "\(error)")
        }
    }
}
