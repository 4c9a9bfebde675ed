public import NIOCore

extension ChaperoneConfiguration {
    /// A NIO `TimeAmount`, re-exported so configuration users need not import NIO.
    public typealias TimeAmount = NIOCore.TimeAmount
}
