//! Decodes arbitrary bytes as a community-based message, the path every
//! datagram from the network takes. Decoding must never panic; whatever
//! decodes must survive a re-encoding unchanged.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use snmux_engine::{AnyPdu, Message, MessageHeader, PduType};

fuzz_target!(|data: &[u8]| {
    let header = MessageHeader::decode(data);
    let bytes = Bytes::copy_from_slice(data);
    let decoded = Message::decode(&bytes);
    if let Err(e) = &header {
        assert!(e.offset <= data.len(), "error offset past the input: {e:?}");
    }
    match decoded {
        Ok(msg) => {
            let header =
                header.expect("Message::decode accepted what MessageHeader::decode rejected");
            assert_eq!(header.version, msg.version);
            assert_eq!(header.community, &msg.community[..]);
            match &msg.pdu {
                AnyPdu::Pdu(p) => {
                    assert_eq!(header.pdu_type, p.pdu_type);
                    assert_eq!(header.request_id, p.request_id);
                    assert_eq!(header.error_status, p.error_status);
                    assert_eq!(header.error_index, p.error_index);
                }
                AnyPdu::TrapV1(_) => assert_eq!(header.pdu_type, PduType::TrapV1),
            }
            let encoded = msg.to_bytes();
            assert_eq!(encoded.len(), msg.encoded_len());
            let again = Message::decode(&encoded)
                .expect("the re-encoding of a decoded message does not decode");
            assert_eq!(again, msg, "the re-encoding decodes to another message");
            assert_eq!(again.to_bytes(), encoded, "the encoding is not stable");
        }
        Err(e) => assert!(e.offset <= data.len(), "error offset past the input: {e:?}"),
    }
});
